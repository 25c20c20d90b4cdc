using System.Text.Json.Serialization;

namespace Rekey.Contracts;

/// <summary>Request of <c>POST /api/{serviceId}/client/secret/leak</c> and <c>POST /api/client/secret/leak</c> (Rekey extension).</summary>
public sealed record SecretLeakRequest
{
    /// <summary>The longest <see cref="Url"/> accepted.</summary>
    public const int MaxUrlLength = 2000;

    /// <summary>The value found: it is looked up, never stored.</summary>
    public string? ClientSecret { get; init; }

    /// <summary>Where it was found (a URL, at most 2,000 characters); carried by the audit event's log line and the <c>client.secret.leaked</c> event.</summary>
    public string? Url { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"SecretLeakRequest {{ ClientSecret = {Redact.Secret(ClientSecret)}, Url = {Url} }}";
}

/// <summary>One live secret a reported value matched, and what was done about it.</summary>
public sealed record SecretLeakMatch
{
    /// <summary>The service of the client.</summary>
    public long ServiceId { get; init; }

    /// <summary>The client whose secret it is.</summary>
    public long ClientId { get; init; }

    /// <summary>The secret's ID.</summary>
    public long SecretId { get; init; }

    /// <summary>What the secret was when reported: <c>current</c>, <c>previous</c> or <c>expired</c>.</summary>
    public required string Status { get; init; }

    /// <summary>The service's <c>leakResponse</c> that was applied: <c>REVOKE</c>, <c>LOCK</c> or <c>NOTIFY</c>.</summary>
    public required string Response { get; init; }

    /// <summary>For a current secret replaced under <c>REVOKE</c>: the ID of the generated secret now current (its value is not returned).</summary>
    public long? ReplacementSecretId { get; init; }

    /// <summary>Whether the client is locked now.</summary>
    public bool ClientLocked { get; init; }
}

/// <summary>
/// Response of the leak report. To a caller with <c>client.secret.write</c> (or the organisation token) it says what was
/// done: <c>A152001</c> with the matches, or <c>A152003</c> when the value is no live secret. To a caller with only
/// <c>client.secret.leak</c> it is <c>A152002</c> without <see cref="Matches"/>, whether or not the value was a secret.
/// </summary>
public sealed record SecretLeakResponse
{
    /// <summary>A152001, A152002 or A152003.</summary>
    public required string ResultCode { get; init; }

    /// <summary>The message.</summary>
    public required string ResultMessage { get; init; }

    /// <summary>The live secrets the value matched (absent for a report-only caller).</summary>
    public IReadOnlyList<SecretLeakMatch>? Matches { get; init; }
}

/// <summary>Response of <c>GET /api/secret-format</c>: the identifiable format of this deployment, for scanners and for offline checks.</summary>
public sealed record SecretFormatResponse
{
    /// <summary>A153001.</summary>
    public required string ResultCode { get; init; }

    /// <summary>The message.</summary>
    public required string ResultMessage { get; init; }

    /// <summary><c>IDENTIFIABLE</c>.</summary>
    public required string Format { get; init; }

    /// <summary>The deployment's prefix (default <c>rks_</c>).</summary>
    public required string Prefix { get; init; }

    /// <summary>Length of every such secret.</summary>
    public int Length { get; init; }

    /// <summary>The regular expression that finds them in text (<see cref="IdentifiableSecret.Pattern"/>).</summary>
    public required string Regex { get; init; }

    /// <summary>The same without look-around, for RE2 and Hyperscan (<see cref="IdentifiableSecret.PlainPattern"/>).</summary>
    public required string PlainRegex { get; init; }

    /// <summary>How the last six characters are computed.</summary>
    public required string Checksum { get; init; }

    /// <summary>The secret-scanning token type GitHub's partner endpoint expects in its reports.</summary>
    public required string TokenType { get; init; }
}

/// <summary>One match in a GitHub secret-scanning partner report (<c>POST /leaks/github</c>).</summary>
public sealed record GitHubLeakMatch
{
    /// <summary>The value found.</summary>
    public string? Token { get; init; }

    /// <summary>The name the token type was registered under.</summary>
    public string? Type { get; init; }

    /// <summary>Where it was found (may be empty).</summary>
    public string? Url { get; init; }

    /// <summary>What kind of place: <c>content</c>, <c>commit</c>, <c>pull_request_description</c>, <c>npm</c>, …</summary>
    public string? Source { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"GitHubLeakMatch {{ Token = {Redact.Secret(Token)}, Type = {Type}, Url = {Url} }}";
}

/// <summary>One entry of the feedback answered to GitHub: was the token one of ours.</summary>
public sealed record GitHubLeakFeedback
{
    /// <summary>The token as reported (GitHub's feedback format names it so).</summary>
    [JsonPropertyName("token_raw")]
    public required string TokenRaw { get; init; }

    /// <summary>The type as reported.</summary>
    [JsonPropertyName("token_type")]
    public required string TokenType { get; init; }

    /// <summary><c>true_positive</c> (a live secret: acted on) or <c>false_positive</c>.</summary>
    [JsonPropertyName("label")]
    public required string Label { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"GitHubLeakFeedback {{ TokenRaw = {Redact.Secret(TokenRaw)}, TokenType = {TokenType}, Label = {Label} }}";
}
