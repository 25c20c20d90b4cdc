namespace Rekey.Contracts;

/// <summary>Request of <c>POST /api/{serviceId}/client/secret/update/{clientIdentifier}</c>.</summary>
public sealed record ClientSecretUpdateRequest
{
    /// <summary>The new secret: 1 to 86 characters of <c>A-Z a-z 0-9 - _</c> (see <see cref="ClientSecretRules"/>).</summary>
    public string? ClientSecret { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"ClientSecretUpdateRequest {{ ClientSecret = {Redact.Secret(ClientSecret)} }}";
}

/// <summary>
/// Response of the secret update (<c>A149001</c>) and refresh (<c>A148001</c>) calls: both secrets, so that the
/// caller can roll its deployments over.
/// </summary>
public sealed record ClientSecretResponse
{
    /// <summary>A148001 or A149001.</summary>
    public required string ResultCode { get; init; }

    /// <summary>The message, naming the client ID.</summary>
    public required string ResultMessage { get; init; }

    /// <summary>The secret now in force.</summary>
    public string? NewClientSecret { get; init; }

    /// <summary>The secret it replaced.</summary>
    public string? OldClientSecret { get; init; }

    /// <inheritdoc />
    public override string ToString() =>
        $"ClientSecretResponse {{ ResultCode = {ResultCode}, NewClientSecret = {Redact.Secret(NewClientSecret)}, OldClientSecret = {Redact.Secret(OldClientSecret)} }}";
}

/// <summary>How secrets are shown in <c>ToString()</c>: never.</summary>
public static class Redact
{
    /// <summary>Returns <c>null</c> or <c>***</c>, whatever the value.</summary>
    public static string Secret(string? value) => value is null ? "null" : "***";
}
