using Rekey.Contracts;

namespace Rekey.Server.Auth;

/// <summary>Who is calling: the organisation (admin) token, or an API token limited to one service.</summary>
internal sealed record Caller(string Kind, long? TokenId, long? ServiceId, IReadOnlySet<string> Permissions)
{
    public const string OrganisationKind = "organisation";
    public const string ServiceKind = "service";

    /// <summary>The server itself, in audit events of what it does on its own (disabling a failing webhook).</summary>
    public const string SystemKind = "system";

    public static Caller Organisation { get; } = new(OrganisationKind, null, null, new HashSet<string>());

    public bool IsOrganisation => Kind == OrganisationKind;

    public bool Has(string permission) => IsOrganisation || (permission != Contracts.Permissions.Admin && Permissions.Contains(permission));

    /// <summary>May this caller see secrets in client documents?</summary>
    public bool SeesSecrets => Has(Contracts.Permissions.ClientSecretRead);
}
