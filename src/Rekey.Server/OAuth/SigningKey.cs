using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Rekey.Contracts;
using Rekey.Server.Http;
using Rekey.Server.Storage;

namespace Rekey.Server.OAuth;

/// <summary>One loaded ES256 key. ECDsa instances are not documented as thread-safe, so signing rents one from a small pool.</summary>
internal sealed class SigningKey
{
    private const int FieldSize = 32;

    /// <summary>The order n of the P-256 group.</summary>
    private static ReadOnlySpan<byte> Order =>
    [
        0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
    ];

    /// <summary>⌊n/2⌋ of P-256: the largest low s.</summary>
    private static ReadOnlySpan<byte> HalfOrder =>
    [
        0x7F, 0xFF, 0xFF, 0xFF, 0x80, 0x00, 0x00, 0x00, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xDE, 0x73, 0x7D, 0x56, 0xD3, 0x8B, 0xCF, 0x42, 0x79, 0xDC, 0xE5, 0x61, 0x7E, 0x31, 0x92, 0xA8,
    ];

    private readonly ConcurrentBag<ECDsa> _pool = [];
    private readonly byte[] _privateKey;

    public SigningKey(StoredSigningKey stored)
    {
        KeyId = stored.KeyId;
        CreatedAt = stored.CreatedAt;
        Times = stored.Times;
        _privateKey = stored.PrivateKey;
        Jwk = JsonSerializer.Deserialize(stored.PublicJwk, WireJson.Context.JsonWebKey)
            ?? throw new InvalidOperationException($"Signing key {stored.KeyId} has no public JWK.");
    }

    public string KeyId { get; }

    public long CreatedAt { get; }

    public KeyTimes Times { get; }

    public JsonWebKey Jwk { get; }

    public byte[] Sign(ReadOnlySpan<byte> data)
    {
        var ecdsa = Rent();
        try
        {
            // IEEE P1363 (r‖s, 64 bytes) is exactly the JWS ES256 signature format (RFC 7518 §3.4).
            var signature = ecdsa.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

            // ECDSA is malleable: (r, n − s) verifies wherever (r, s) does. Only low s (≤ n/2) is made and accepted, so a
            // token has exactly one valid signature and one token string (as BIP 146 requires of Bitcoin signatures).
            var s = signature.AsSpan(FieldSize);
            if (s.SequenceCompareTo(HalfOrder) > 0)
            {
                NegateModOrder(s);
            }

            return signature;
        }
        finally
        {
            _pool.Add(ecdsa);
        }
    }

    /// <summary>True for a low-S signature by this key: r in [1, n − 1] and s in [1, n/2], as <see cref="Sign"/> makes them.</summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != 2 * FieldSize)
        {
            return false;
        }

        var r = signature[..FieldSize];
        var s = signature[FieldSize..];
        if (!r.ContainsAnyExcept((byte)0) || r.SequenceCompareTo(Order) >= 0 || !s.ContainsAnyExcept((byte)0) || s.SequenceCompareTo(HalfOrder) > 0)
        {
            return false;
        }

        var ecdsa = Rent();
        try
        {
            return ecdsa.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        finally
        {
            _pool.Add(ecdsa);
        }
    }

    /// <summary>n − s in place, for 0 &lt; s &lt; n: big-endian subtraction with borrow, the same 32 steps for every s.</summary>
    private static void NegateModOrder(Span<byte> s)
    {
        var borrow = 0;
        for (var i = FieldSize - 1; i >= 0; i--)
        {
            var difference = Order[i] - s[i] - borrow;
            borrow = difference < 0 ? 1 : 0;
            s[i] = (byte)(difference + (borrow << 8));
        }
    }

    private ECDsa Rent()
    {
        if (_pool.TryTake(out var ecdsa))
        {
            return ecdsa;
        }

        ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(_privateKey, out _);
        return ecdsa;
    }

    public override string ToString() => $"SigningKey {{ KeyId = {KeyId} }}";
}
