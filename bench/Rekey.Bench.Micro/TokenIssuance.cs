using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Rekey.Contracts;
using Rekey.Server.OAuth;
using Rekey.Server.Services;
using Rekey.Server.Storage;

namespace Rekey.Bench.Micro;

/// <summary>
/// The in-process pieces of one client-credentials token request besides the database reads and the secret check
/// (<see cref="SecretVerification"/>), each as the server runs it: showing the stored service document, parsing the
/// client document, and creating the signed RFC 9068 token (claims JSON + ES256). The documents are shaped like the
/// load benchmark's. The signature is the floor of the token endpoint's cost; the rest is what could be trimmed.
/// </summary>
[MemoryDiagnoser]
public class TokenIssuance
{
    private StoredService _service = new(1, 1, "{}", 0, 0);
    private string _client = "{}";
    private SigningKey? _key;
    private AccessTokenClaims? _claims;

    [GlobalSetup]
    public void Setup()
    {
        var service = new ServiceDocument { ServiceName = "bench", SupportedScopes = [new ServiceScope { Name = "read", DefaultEntry = true }, new ServiceScope { Name = "write" }] };
        _service = new StoredService(68088146432225, 1, JsonSerializer.Serialize(service, RekeyJsonContext.Default.ServiceDocument), 1, 1);
        var client = new ClientDocument
        {
            ClientName = "bench-1",
            ClientType = "CONFIDENTIAL",
            GrantTypes = ["CLIENT_CREDENTIALS"],
            TokenAuthMethod = "CLIENT_SECRET_BASIC",
        };
        _client = JsonSerializer.Serialize(client, RekeyJsonContext.Default.ClientDocument);
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var q = ecdsa.ExportParameters(false).Q;
        var jwk = JsonSerializer.Serialize(new JsonWebKey { X = Base64Url.EncodeToString(q.X), Y = Base64Url.EncodeToString(q.Y), Kid = "bench" }, RekeyJsonContext.Default.JsonWebKey);
        _key = new SigningKey(new StoredSigningKey("bench", 1, 1, jwk, ecdsa.ExportPkcs8PrivateKey(), 1, null));
        const string issuer = "http://127.0.0.1:5080/oauth2/68088146432225";
        _claims = new AccessTokenClaims(issuer, "123456789012", [issuer], "123456789012", ["read"], 1_800_000_000, 1_800_003_600, AccessTokens.NewTokenId());
    }

    [Benchmark(Description = "service document: ServiceRules.Present")]
    public ServiceDocument Service() => ServiceRules.Present(_service);

    [Benchmark(Description = "client document: deserialize")]
    public ClientDocument? Client() => JsonSerializer.Deserialize(_client, RekeyJsonContext.Default.ClientDocument);

    [Benchmark(Description = "access token: claims + ES256 (AccessTokens.Create)")]
    public string Token() => AccessTokens.Create(_claims!, _key!);

    [Benchmark(Description = "token ID: 16 random bytes, base64url")]
#pragma warning disable CA1822 // BenchmarkDotNet needs instance methods.
    public string TokenId() => AccessTokens.NewTokenId();
#pragma warning restore CA1822
}
