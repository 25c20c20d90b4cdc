using System.Buffers.Text;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Rekey.Tests.OAuth;

/// <summary>
/// One token, one string: a twin whose signature segment is spelled differently (whitespace, padding, a set unused bit)
/// or whose signature is rewritten as (r, n − s) carries a signature a lenient verifier still accepts. Each twin is
/// checked to be one, then to be inactive at both introspection endpoints while the original stays active.
/// </summary>
public abstract partial class OAuthSuite
{
    /// <summary>The order n of the P-256 group.</summary>
    private static readonly BigInteger P256Order = BigInteger.Parse("0FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", System.Globalization.NumberStyles.HexNumber);

    [Theory]
    [InlineData("a space inside the signature")]
    [InlineData("padding after the signature")]
    [InlineData("an unused bit set in the signature's last character")]
    [InlineData("the signature rewritten as (r, n - s)")]
    public async Task a_twin_of_an_active_token_is_inactive_at_both_introspection_endpoints(string twin)
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        var token = await AccessTokenAsync(client);
        var parts = token.Split('.');
        var signature = parts[2];
        var mutated = twin switch
        {
            "a space inside the signature" => signature[..43] + " " + signature[43..],
            "padding after the signature" => signature + "==",
            // 64 bytes are 86 characters; the last carries 2 data bits and 4 unused ones, so its alphabet index is a multiple of 16.
            "an unused bit set in the signature's last character" => signature[..^1] + (char)(signature[^1] + 1),
            "the signature rewritten as (r, n - s)" => Base64Url.EncodeToString(WithNegatedS(Base64Url.DecodeFromChars(signature))),
            _ => throw new ArgumentOutOfRangeException(nameof(twin)),
        };
        var damaged = parts[0] + "." + parts[1] + "." + mutated;
        Assert.NotEqual(token, damaged);
        await AssertSignatureAcceptedByALenientVerifierAsync(sid, token, mutated);

        Assert.Equal("""{"active":false}""", (await IntrospectAsync(sid, client, damaged)).Text);
        var (_, authlete) = await AuthIntrospectionAsync(sid, new JsonObject { ["token"] = damaged });
        Assert.Equal("A056301", authlete["resultCode"]!.GetValue<string>());
        Assert.Equal("UNAUTHORIZED", authlete["action"]!.GetValue<string>());

        Assert.True((await IntrospectAsync(sid, client, token)).Json["active"]!.GetValue<bool>());
        Assert.Equal("OK", (await AuthIntrospectionAsync(sid, new JsonObject { ["token"] = token })).Body["action"]!.GetValue<string>());
    }

    [Fact]
    public async Task issued_tokens_are_signed_low_s()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());

        var high = 0;
        for (var i = 0; i < 200; i++)
        {
            var signature = Jwt.Signature(await AccessTokenAsync(client));
            Assert.Equal(64, signature.Length);
            var r = new BigInteger(signature.AsSpan(0, 32), isUnsigned: true, isBigEndian: true);
            var s = new BigInteger(signature.AsSpan(32), isUnsigned: true, isBigEndian: true);
            Assert.True(r > 0 && r < P256Order && s > 0, "r and s in [1, n - 1]");
            high += s > P256Order / 2 ? 1 : 0;
        }

        // Random signatures are high-S half the time: 200 low ones by chance is 2^-200.
        Assert.Equal(0, high);
    }

    /// <summary>The same ECDSA signature with s replaced by n − s: valid for the same message and key (SEC 1 §4.1.4).</summary>
    private static byte[] WithNegatedS(byte[] signature)
    {
        var s = new BigInteger(signature.AsSpan(32), isUnsigned: true, isBigEndian: true);
        var result = (byte[])signature.Clone();
        var negated = (P256Order - s).ToByteArray(isUnsigned: true, isBigEndian: true);
        Array.Clear(result, 32, 32);
        negated.CopyTo(result, 64 - negated.Length);
        return result;
    }

    /// <summary>
    /// The twin segment decodes, leniently, to a signature that checks with the published key: the only thing wrong with
    /// it is its spelling or its s, so an inactive answer is the canonical-form rule at work and not a broken signature.
    /// </summary>
    private async Task AssertSignatureAcceptedByALenientVerifierAsync(long serviceId, string token, string segment)
    {
        var jwk = (await SendAsync(Anonymous, HttpMethod.Get, Issuer(serviceId) + "/jwks")).Json["keys"]![0]!;
        using var key = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Base64Url.DecodeFromChars(jwk["x"]!.GetValue<string>()), Y = Base64Url.DecodeFromChars(jwk["y"]!.GetValue<string>()) },
        });
        // As lenient decoders do: whitespace and padding dropped, unused bits ignored (Base64Url.DecodeFromChars refuses set unused bits).
        var standard = segment.Replace('-', '+').Replace('_', '/').Replace(" ", "", StringComparison.Ordinal).TrimEnd('=');
        var signature = Convert.FromBase64String(standard.PadRight((standard.Length + 3) / 4 * 4, '='));
        Assert.True(key.VerifyData(Encoding.ASCII.GetBytes(token[..token.LastIndexOf('.')]), signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation),
            "the twin's signature must still verify with a lenient decoder");
    }
}
