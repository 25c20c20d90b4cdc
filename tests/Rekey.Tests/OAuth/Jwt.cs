using System.Buffers.Text;
using System.Text;
using System.Text.Json.Nodes;

namespace Rekey.Tests.OAuth;

/// <summary>Reads and damages compact JWS tokens by hand, so that tests check the wire format rather than a library's view of it.</summary>
internal static class Jwt
{
    public static (JsonObject Header, JsonObject Payload) Decode(string token)
    {
        var parts = token.Split('.');
        Assert.Equal(3, parts.Length);
        return (Part(parts[0]), Part(parts[1]));
    }

    public static byte[] Signature(string token) => Base64Url.DecodeFromChars(token.Split('.')[2]);

    /// <summary>The same header and signature over a changed payload: what an attacker who edits a token sends.</summary>
    public static string WithPayload(string token, Action<JsonObject> change)
    {
        var parts = token.Split('.');
        var payload = Part(parts[1]);
        change(payload);
        return parts[0] + "." + Encode(payload) + "." + parts[2];
    }

    /// <summary>The same header and payload with one bit of the signature flipped (in the decoded bytes, so base64url padding bits cannot hide it).</summary>
    public static string WithAlteredSignature(string token)
    {
        var parts = token.Split('.');
        var signature = Base64Url.DecodeFromChars(parts[2]);
        signature[signature.Length / 2] ^= 0x01;
        return parts[0] + "." + parts[1] + "." + Base64Url.EncodeToString(signature);
    }

    public static string Encode(JsonNode node) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(node.ToJsonString()));

    private static JsonObject Part(string segment)
    {
        Assert.True(Base64Url.IsValid(segment), "not base64url: " + segment);
        return JsonNode.Parse(Base64Url.DecodeFromChars(segment))?.AsObject() ?? throw new InvalidOperationException("JWT part is not an object.");
    }
}
