namespace Rekey.Sdk;

/// <summary>Where the Rekey server is and how to authenticate to it.</summary>
public sealed class RekeyClientOptions
{
    /// <summary>
    /// The server's base address, for example <c>https://rekey.example.com/</c>. A path prefix is kept
    /// (<c>https://gateway.example.com/rekey/</c> calls <c>…/rekey/api/…</c>). When <see langword="null"/>, the
    /// <see cref="HttpClient.BaseAddress"/> of the injected client is used.
    /// </summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>
    /// The bearer token: the organisation (admin) token or an API token. Sent as <c>Authorization: Bearer …</c> on
    /// every request. When <see langword="null"/>, no header is added (the injected client may carry its own).
    /// </summary>
    public string? Token { get; set; }

    /// <inheritdoc />
    public override string ToString() => $"RekeyClientOptions {{ BaseAddress = {BaseAddress}, Token = {(Token is null ? "null" : "***")} }}";
}
