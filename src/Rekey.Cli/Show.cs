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
        ("clientSecretGracePeriod", Human.Number(s.ClientSecretGracePeriod)),
        ("clientSecretLifetime", Human.Number(s.ClientSecretLifetime)),
        ("accessTokenDuration", Human.Number(s.AccessTokenDuration)),
        ("supportedScopes", s.SupportedScopes is null ? null : string.Join(", ", s.SupportedScopes.Select(x => x.DefaultEntry == true ? $"{x.Name} (default)" : x.Name))),
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

    /// <summary>A leak report's answer: what was done to each secret the value matched, by ID; never a value.</summary>
    public static void Leak(TextWriter o, SecretLeakResponse r)
    {
        Human.KeyValues(o, [("resultCode", r.ResultCode), ("resultMessage", r.ResultMessage)]);
        if (r.Matches is { Count: > 0 } matches)
        {
            Human.Line(o, "");
            Human.Table(o, ["SERVICE ID", "CLIENT ID", "SECRET ID", "STATUS", "RESPONSE", "REPLACEMENT ID", "CLIENT LOCKED"],
                matches.Select(m => new[]
                {
                    Human.Number(m.ServiceId), Human.Number(m.ClientId), Human.Number(m.SecretId), m.Status, m.Response, Human.Number(m.ReplacementSecretId),
                    Human.Flag(m.ClientLocked),
                }));
        }
    }

    public static void SecretFormat(TextWriter o, SecretFormatResponse f) => Human.KeyValues(o,
    [
        ("resultCode", f.ResultCode),
        ("resultMessage", f.ResultMessage),
        ("format", f.Format),
        ("prefix", f.Prefix),
        ("length", Human.Number(f.Length)),
        ("regex", f.Regex),
        ("plainRegex", f.PlainRegex),
        ("checksum", f.Checksum),
        ("tokenType", f.TokenType),
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

    /// <summary>An initial access token; its value appears only in the answer of create, the one time the server gives it.</summary>
    public static void InitialAccessToken(TextWriter o, InitialAccessTokenInfo t) => Human.KeyValues(o,
    [
        ("tokenId", Human.Number(t.TokenId)),
        ("serviceId", Human.Number(t.ServiceId)),
        ("description", t.Description),
        ("createdAt", Human.Time(t.CreatedAt)),
        ("expiresAt", Human.Time(t.ExpiresAt) ?? "never"),
        ("singleUse", Human.Flag(t.SingleUse)),
        ("registrations", Human.Number(t.Registrations)),
        ("lastUsedAt", Human.Time(t.LastUsedAt)),
        ("usable", Human.Flag(t.Usable)),
        ("token", t.Token),
    ]);

    public static void InitialAccessTokens(TextWriter o, InitialAccessTokenListResponse list)
    {
        Human.Table(o, ["TOKEN ID", "CREATED", "EXPIRES", "SINGLE USE", "REGISTRATIONS", "LAST USED", "USABLE", "DESCRIPTION"],
            list.InitialAccessTokens.Select(t => new[]
            {
                Human.Number(t.TokenId), Human.Time(t.CreatedAt), Human.Time(t.ExpiresAt) ?? "never", Human.Flag(t.SingleUse), Human.Number(t.Registrations),
                Human.Time(t.LastUsedAt), Human.Flag(t.Usable), t.Description,
            }));
        Page(o, list, list.InitialAccessTokens.Count, "initial access tokens");
    }

    /// <summary>A client's secrets: never a value, only the hint the server gives for long secrets.</summary>
    public static void Secrets(TextWriter o, ClientSecretListResponse list)
    {
        Human.Table(o, ["SECRET ID", "STATUS", "CREATED", "VALID UNTIL", "LAST USED", "HINT"],
            list.Secrets.Select(s => new[] { Human.Number(s.SecretId), s.Status, Human.Time(s.CreatedAt), ValidUntil(s), Human.Time(s.LastUsedAt), s.Hint }));
        Human.Line(o, $"{list.Secrets.Count} secrets of client {list.ClientId}");
    }

    /// <summary>
    /// When the secret stops (or stopped) verifying: its revocation; else the earlier of its expiry and, for a
    /// previous secret, the end of its grace period; "never" for a secret without either.
    /// </summary>
    private static string? ValidUntil(ClientSecretInfo s) =>
        s.RevokedAt is { } revoked ? Human.Time(revoked)
        : (s.ExpiresAt, s.ValidUntil) switch
        {
            ({ } expires, { } grace) => Human.Time(Math.Min(expires, grace)),
            ({ } expires, null) => Human.Time(expires),
            (null, { } grace) => Human.Time(grace),
            _ => "never",
        };

    public static void AuditEvents(TextWriter o, AuditListResponse list)
    {
        Human.Table(o, ["EVENT ID", "TIME", "ACTION", "OUTCOME", "SERVICE ID", "CLIENT ID", "SECRET ID", "ACTOR", "ADDRESS", "TARGET"],
            list.Events.Select(e => new[]
            {
                Human.Number(e.EventId), Human.Time(e.OccurredAt), e.Action, e.Outcome, Human.Number(e.ServiceId), Human.Number(e.ClientId),
                Human.Number(e.SecretId), Actor(e), e.RemoteAddress, e.Target,
            }));
        Page(o, list, list.Events.Count, "audit events");
    }

    public static void DataKeys(TextWriter o, DataKeysResponse r)
    {
        Human.KeyValues(o,
        [
            ("resultCode", r.ResultCode),
            ("resultMessage", r.ResultMessage),
            ("reencrypted", Human.Number(r.Reencrypted)),
        ]);
        Human.Line(o, "");
        Human.Table(o, ["KEY ID", "CREATED", "CURRENT", "VALUES"],
            r.Keys.Select(k => new[] { k.KeyId, Human.Time(k.CreatedAt), Human.Flag(k.Current), Human.Number(k.Values) }));
        if (r.MasterKeys.Count > 0)
        {
            Human.Line(o, "");
            Human.Table(o, ["MASTER KEY ID", "FIRST USED", "RETIRED", "DATA KEYS", "CONFIGURED HERE"],
                r.MasterKeys.Select(m => new[] { m.MasterKeyId, Human.Time(m.CreatedAt), Human.Time(m.RetiredAt), Human.Number(m.DataKeys), Human.Flag(m.Configured) }));
        }
    }

    public static void SigningKeys(TextWriter o, SigningKeysResponse r)
    {
        Human.KeyValues(o, [("resultCode", r.ResultCode), ("resultMessage", r.ResultMessage)]);
        Human.Line(o, "");
        Human.Table(o, ["KEY ID", "STATUS", "PUBLISHED", "ACTIVATES", "RETIRES"],
            r.Keys.Select(k => new[] { k.KeyId, k.Status, Human.Time(k.PublishedAt), Human.Time(k.ActivatesAt), Human.Time(k.RetiresAt) }));
    }

    /// <summary>A webhook; its signing secret appears only in the answers of create and rotate-secret, the one time the server gives it.</summary>
    public static void Webhook(TextWriter o, WebhookInfo w) => Human.KeyValues(o,
    [
        ("webhookId", Human.Number(w.WebhookId)),
        ("serviceId", Human.Number(w.ServiceId)),
        ("url", w.Url),
        ("events", Events(w.Events, ", ")),
        ("description", w.Description),
        ("enabled", Human.Flag(w.Enabled)),
        ("disabledReason", w.DisabledReason),
        ("failingSince", Human.Time(w.FailingSince)),
        ("previousSecretValidUntil", Human.Time(w.PreviousSecretValidUntil)),
        ("createdAt", Human.Time(w.CreatedAt)),
        ("modifiedAt", Human.Time(w.ModifiedAt)),
        ("secret", w.Secret),
    ]);

    public static void Webhooks(TextWriter o, WebhookListResponse list)
    {
        Human.Table(o, ["WEBHOOK ID", "URL", "EVENTS", "ENABLED", "FAILING SINCE", "DESCRIPTION"],
            list.Webhooks.Select(w => new[] { Human.Number(w.WebhookId), w.Url, Events(w.Events, ","), Human.Flag(w.Enabled), Human.Time(w.FailingSince), w.Description }));
        Page(o, list, list.Webhooks.Count, "webhooks");
    }

    /// <summary>The answer of test and redeliver: the result, then the delivery queued.</summary>
    public static void DeliveryQueued(TextWriter o, WebhookDeliveryResponse r) => Human.KeyValues(o,
    [
        ("resultCode", r.ResultCode),
        ("resultMessage", r.ResultMessage),
        ("eventId", r.Delivery?.EventId),
        ("eventType", r.Delivery?.EventType),
        ("status", r.Delivery?.Status),
        ("attempts", Human.Number(r.Delivery?.Attempts)),
        ("nextAttemptAt", Human.Time(r.Delivery?.NextAttemptAt)),
    ]);

    public static void Deliveries(TextWriter o, WebhookDeliveryListResponse list)
    {
        Human.Table(o, ["EVENT ID", "TYPE", "STATUS", "ATTEMPTS", "CREATED", "LAST ATTEMPT", "HTTP", "NEXT ATTEMPT", "ERROR"],
            list.Deliveries.Select(d => new[]
            {
                d.EventId, d.EventType, d.Status, Human.Number(d.Attempts), Human.Time(d.CreatedAt), Human.Time(d.LastAttemptAt), Human.Number(d.LastStatusCode),
                Human.Time(d.NextAttemptAt), d.LastError,
            }));
        Page(o, list, list.Deliveries.Count, "deliveries");
    }

    /// <summary>A webhook's event filter: an empty one sends every type.</summary>
    private static string Events(IReadOnlyList<string> events, string separator) => events.Count == 0 ? "(all)" : string.Join(separator, events);

    private static void Page(TextWriter o, ListResponse list, int count, string what) =>
        Human.Line(o, $"{count} of {list.TotalCount} {what} (start {list.Start}, end {list.End})");

    /// <summary>Who did it: the organisation, <c>token N</c> for an API token, <c>initial access token N</c>, or the kind (system, github, anonymous, registered_client).</summary>
    private static string Actor(AuditEvent e) => (e.ActorKind, e.ActorTokenId) switch
    {
        ("initial_access_token", { } id) => $"initial access token {Human.Number(id)}",
        (_, { } id) => $"token {Human.Number(id)}",
        (var kind, null) => kind,
    };
}
