using Rekey.Contracts;

namespace Rekey.Server.Auth;

/// <summary>Who is calling: the organisation (admin) token, or an API token limited to one service.</summary>
internal sealed record Caller(string Kind, long? TokenId, long? ServiceId, IReadOnlySet<string> Permissions)
{
    public const string OrganisationKind = "organisation";
    public const string ServiceKind = "service";

    public static Caller Organisation { get; } = new(OrganisationKind, null, null, new HashSet<string>());

    public bool IsOrganisation => Kind == OrganisationKind;

    public bool Has(string permission) => IsOrganisation || (permission != Contracts.Permissions.Admin && Permissions.Contains(permission));

    /// <summary>May this caller see secrets in client documents?</summary>
    public bool SeesSecrets => Has(Contracts.Permissions.ClientSecretRead);
}

/// <summary>Endpoint metadata: the permission the endpoint needs.</summary>
internal sealed record RequiredPermission(string Name);

internal static class CallerExtensions
{
    private static readonly object Key = new();

    public static void SetCaller(this HttpContext http, Caller caller) => http.Items[Key] = caller;

    /// <summary>The authenticated caller; the /api group's filter guarantees one is set.</summary>
    public static Caller GetCaller(this HttpContext http) =>
        http.Items[Key] as Caller ?? throw new InvalidOperationException("No caller: the endpoint is outside the authenticated /api group.");

    public static TBuilder RequirePermission<TBuilder>(this TBuilder builder, string permission)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiredPermission(permission));
}
