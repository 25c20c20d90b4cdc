using Rekey.Contracts;

namespace Rekey.Cli;

/// <summary>The human-readable form of each answer. Secrets appear only where the caller asked for them.</summary>
internal static class Show
{
    public static void Service(TextWriter o, ServiceDocument s) => Human.KeyValues(o,
    [
        ("serviceId", Human.Number(s.ApiKey)),
        ("serviceName", s.ServiceName),
        ("issuer", s.Issuer),
        ("createdAt", Human.Time(s.CreatedAt)),
        ("modifiedAt", Human.Time(s.ModifiedAt)),
    ]);

    public static void Services(TextWriter o, ServiceListResponse list)
    {
        Human.Table(o, ["SERVICE ID", "NAME", "ISSUER"],
            list.Services.Select(s => new[] { Human.Number(s.ApiKey), s.ServiceName, s.Issuer }));
        Page(o, list, list.Services.Count, "services");
    }

    public static void Client(TextWriter o, ClientDocument c, bool showSecret) => Human.KeyValues(o,
    [
        ("clientId", Human.Number(c.ClientId)),
        ("clientIdAlias", c.ClientIdAlias),
        ("clientName", c.ClientName),
        ("clientType", c.ClientType),
        ("applicationType", c.ApplicationType),
        ("developer", c.Developer),
        ("grantTypes", Human.List(c.GrantTypes)),
        ("responseTypes", Human.List(c.ResponseTypes)),
        ("redirectUris", Human.List(c.RedirectUris)),
        ("tokenAuthMethod", c.TokenAuthMethod),
        ("locked", Human.Flag(c.Locked)),
        ("createdAt", Human.Time(c.CreatedAt)),
        ("modifiedAt", Human.Time(c.ModifiedAt)),
        ("clientSecret", showSecret ? c.ClientSecret : null),
    ]);

    public static void Clients(TextWriter o, ClientListResponse list, bool showSecret)
    {
        string[] headers = showSecret
            ? ["CLIENT ID", "ALIAS", "NAME", "TYPE", "LOCKED", "DEVELOPER", "SECRET"]
            : ["CLIENT ID", "ALIAS", "NAME", "TYPE", "LOCKED", "DEVELOPER"];
        Human.Table(o, headers, list.Clients.Select(c =>
        {
            string?[] row = [Human.Number(c.ClientId), c.ClientIdAlias, c.ClientName, c.ClientType, Human.Flag(c.Locked), c.Developer];
            return showSecret ? [.. row, c.ClientSecret] : row;
        }));
        Page(o, list, list.Clients.Count, "clients");
    }

    public static void Secret(TextWriter o, ClientSecretResponse r, bool showOld) => Human.KeyValues(o,
    [
        ("resultCode", r.ResultCode),
        ("resultMessage", r.ResultMessage),
        ("newClientSecret", r.NewClientSecret),
        ("oldClientSecret", showOld ? r.OldClientSecret ?? "(none)" : null),
    ]);

    public static void Result(TextWriter o, ResultResponse r) => Human.KeyValues(o,
    [
        ("resultCode", r.ResultCode),
        ("resultMessage", r.ResultMessage),
    ]);

    public static void ApiToken(TextWriter o, ApiTokenInfo t) => Human.KeyValues(o,
    [
        ("tokenId", Human.Number(t.TokenId)),
        ("serviceId", Human.Number(t.ServiceId)),
        ("permissions", Human.List(t.Permissions)),
        ("description", t.Description),
        ("createdAt", Human.Time(t.CreatedAt)),
        ("token", t.Token),
    ]);

    public static void ApiTokens(TextWriter o, ApiTokenListResponse list)
    {
        Human.Table(o, ["TOKEN ID", "SERVICE ID", "PERMISSIONS", "CREATED", "DESCRIPTION"],
            list.ApiTokens.Select(t => new[] { Human.Number(t.TokenId), Human.Number(t.ServiceId), string.Join(",", t.Permissions), Human.Time(t.CreatedAt), t.Description }));
        Page(o, list, list.ApiTokens.Count, "API tokens");
    }

    private static void Page(TextWriter o, ListResponse list, int count, string what) =>
        o.WriteLine($"{count} of {list.TotalCount} {what} (start {list.Start}, end {list.End})");
}
