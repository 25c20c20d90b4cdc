using Rekey.Contracts;

namespace Rekey.Server.Auth;

/// <summary>Who is calling: the organisation (admin) token, or an API token limited to one service.</summary>
internal sealed record Caller(string Kind, long? TokenId, long? ServiceId, IReadOnlySet<string> Permissions)
{
    public const string OrganisationKind = "organisation";
    public const string ServiceKind = "service";

    /// <summary>The server itself, in audit events of what it does on its own (disabling a failing webhook).</summary>
    public const string SystemKind = "system";

    /// <summary>A signed GitHub secret-scanning report, in the audit events of what it caused.</summary>
    public const string GitHubKind = "github";

    /// <summary>A dynamic registration allowed by an initial access token (its ID is the event's token ID).</summary>
    public const string InitialAccessTokenKind = "initial_access_token";

    /// <summary>A dynamic registration at a service open to anyone.</summary>
    public const string AnonymousKind = "anonymous";

    /// <summary>A registered client reading, updating or deleting its own registration with its registration access token.</summary>
    public const string RegisteredClientKind = "registered_client";

    public static Caller Organisation { get; } = new(OrganisationKind, null, null, new HashSet<string>());

    public bool IsOrganisation => Kind == OrganisationKind;

    /// <remarks><c>client.secret.write</c> includes <c>client.secret.leak</c>: a token that may replace a secret may report it leaked.</remarks>
    public bool Has(string permission) =>
        IsOrganisation || (permission != Contracts.Permissions.Admin
            && (Permissions.Contains(permission) || (permission == Contracts.Permissions.ClientSecretLeak && Permissions.Contains(Contracts.Permissions.ClientSecretWrite))));

    /// <summary>May this caller see secrets in client documents?</summary>
    public bool SeesSecrets => Has(Contracts.Permissions.ClientSecretRead);
}
