using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Rekey.Server.Secrets;

namespace Rekey.Bench.Micro;

/// <summary>
/// The cost of checking one presented client secret against what is stored, in three ways:
/// <list type="bullet">
/// <item>Rekey: the server's own <c>SecretCipher.Matches</c>, called as <c>SecretVerifier</c> calls it on every
/// verification — six times (the current secret and up to five previous ones, padded with decoys so that the work
/// does not depend on the client), each an HMAC-SHA256 under the data key's digest key over the row's associated
/// data and the secret, compared in constant time. The database lookup is not part of it.</item>
/// <item>One bare HMAC-SHA256 + FixedTimeEquals, for scale.</item>
/// <item>PBKDF2-HMAC-SHA256, 10,000 iterations, 16-byte salt, 32-byte subkey, through the one-shot
/// <see cref="Rfc2898DeriveBytes.Pbkdf2(string, byte[], int, HashAlgorithmName, int)"/>: the cost of the parameters
/// OpenIddict stores (read back from the peer's own database: format 0x01, PRF HMACSHA256, 10,000 iterations).</item>
/// <item>The same derivation through the <see cref="Rfc2898DeriveBytes"/> instance and <c>GetBytes</c>, which is the
/// call OpenIddict 7.8.0's <c>OpenIddictApplicationManager.DeriveKey</c> makes on .NET; it iterates in managed code
/// and is what the peer really pays per client authentication.</item>
/// </list>
/// The secret is 86 characters, the length of a generated secret.
/// </summary>
[MemoryDiagnoser]
public class SecretVerification
{
    private const int Iterations = 10_000;
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _salt = RandomNumberGenerator.GetBytes(16);
    private readonly string _secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(64)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    private byte[] _digest = [];
    private byte[] _subkey = [];
    private SecretCipher _cipher = new(new KeyRing([new MasterKey("bench", RandomNumberGenerator.GetBytes(32))]));
    private SealedSecret _sealed = new("", [], []);
    private byte[] _row = [];
    private IncrementalHash _hmac = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    [GlobalSetup]
    public void Setup()
    {
        _digest = HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(_secret));
        _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        _subkey = Rfc2898DeriveBytes.Pbkdf2(_secret, _salt, Iterations, HashAlgorithmName.SHA256, 32);
        _cipher = new SecretCipher(new KeyRing([new MasterKey("bench", RandomNumberGenerator.GetBytes(32))]));
        _cipher.Load([_cipher.NewDataKey(1)]);
        _row = SecretCipher.AssociatedData(123456789012, 234567890123, 345678901234);
        _sealed = _cipher.Seal(_secret, _row);
    }

    [Benchmark(Description = "Rekey verification: SecretCipher.Matches x6 (as SecretVerifier)")]
    public bool RekeyVerification()
    {
        var matched = false;
        for (var i = 0; i < 6; i++)
        {
            matched |= _cipher.Matches(_sealed.KeyId, _sealed.Digest, _secret, _row);
        }

        return matched;
    }

    [Benchmark(Description = "one HMAC-SHA256 + FixedTimeEquals, one-shot")]
    public bool Hmac() =>
        CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(_secret)), _digest);

    // What SecretCipher does since the token benchmark's profile: keep the keyed HMAC context and reset it, instead of
    // setting OpenSSL's MAC context up for every call as the one-shot does.
    [Benchmark(Description = "one HMAC-SHA256 + FixedTimeEquals, reused keyed instance")]
    public bool HmacReused()
    {
        _hmac.AppendData(Encoding.UTF8.GetBytes(_secret));
        return CryptographicOperations.FixedTimeEquals(_hmac.GetHashAndReset(), _digest);
    }

    [Benchmark(Baseline = true, Description = "PBKDF2-SHA256 x10000, one-shot Pbkdf2")]
    public bool Pbkdf2() =>
        CryptographicOperations.FixedTimeEquals(Rfc2898DeriveBytes.Pbkdf2(_secret, _salt, Iterations, HashAlgorithmName.SHA256, 32), _subkey);

    // SYSLIB0060: the constructor is obsolete in favour of the one-shot Pbkdf2, but it is exactly what OpenIddict calls.
#pragma warning disable SYSLIB0060
    [Benchmark(Description = "PBKDF2-SHA256 x10000, OpenIddict's call")]
    public bool Pbkdf2AsOpenIddict()
    {
        using var generator = new Rfc2898DeriveBytes(_secret, _salt, Iterations, HashAlgorithmName.SHA256);
        return CryptographicOperations.FixedTimeEquals(generator.GetBytes(32), _subkey);
    }
#pragma warning restore SYSLIB0060
}
