using System.Data.Common;
using Rekey.Contracts;

namespace Rekey.Server.Storage;

/// <summary>Row shapes, read the same way from both engines: the column lists selected and the mapping from a row.</summary>
internal static class Rows
{
    public const string ServiceColumns = "service_id, number, document, created_at, modified_at";

    public const string ApiTokenColumns = "token_id, service_id, permissions, description, created_at";

    public const string InitialAccessTokenColumns = "token_id, service_id, description, created_at, expires_at, single_use, registrations, last_used_at";

    /// <summary>
    /// A client with its service's number and settings and its secrets (<see cref="Client"/>). Statements append their
    /// WHERE clause.
    /// </summary>
    public const string ClientSelect = """
        SELECT c.service_id, s.number, c.client_id, c.number, c.alias, c.developer, c.locked, c.document, c.created_at, c.modified_at,
               c.secrets, s.secret_grace_s, s.secret_lifetime_s, s.secret_warnings,
               EXISTS (SELECT 1 FROM webhooks w WHERE w.service_id = c.service_id AND w.enabled), s.secret_format, s.leak_response,
               c.registration_token
        FROM clients c
        JOIN services s ON s.service_id = c.service_id
        """;

    /// <summary>The columns of an audit event read as <c>e</c>.</summary>
    public const string AuditColumns = "e.event_id, e.occurred_at, e.actor_kind, e.actor_token_id, e.remote_address, e.request_id, e.service_id, e.client_id, e.action, e.secret_id, e.outcome, e.target";

    public static StoredService Service(DbDataReader r) => new(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetInt64(3), r.GetInt64(4));

    public static StoredApiToken ApiToken(DbDataReader r) =>
        new(r.GetInt64(0), r.GetInt64(1), r.GetString(2).Split(' ', StringSplitOptions.RemoveEmptyEntries), Text(r, 3), r.GetInt64(4));

    /// <summary>A client as <see cref="ClientSelect"/> reads it, its secrets decoded and the current one still sealed.</summary>
    public static ClientRow Client(DbDataReader r)
    {
        var clientId = r.GetInt64(2);
        var secrets = Secrets.SecretSetCodec.Decode((byte[])r.GetValue(10), $"client {clientId}");
        return new ClientRow(
            new StoredClient(r.GetInt64(0), r.GetInt64(1), clientId, r.GetInt64(3), Text(r, 4), Text(r, 5), r.GetBoolean(6), r.GetString(7), r.GetInt64(8), r.GetInt64(9),
                null, secrets.Current?.ExpiresAt, r.IsDBNull(17) ? null : (byte[])r.GetValue(17)),
            secrets,
            new ServiceSettings(r.GetInt64(11), r.GetInt64(12), Text(r, 13), r.GetBoolean(14), Text(r, 15), Text(r, 16)));
    }

    public static StoredInitialAccessToken InitialAccessToken(DbDataReader r) =>
        new(r.GetInt64(0), r.GetInt64(1), Text(r, 2), r.GetInt64(3), Number(r, 4), r.GetBoolean(5), r.GetInt64(6), Number(r, 7));

    /// <summary>A count: COUNT(*) is a bigint on PostgreSQL and an integer on SQLite; both read as a long.</summary>
    public static long Count(DbDataReader r) => r.GetInt64(0);

    public static AuditEvent AuditEvent(DbDataReader r) => new()
    {
        EventId = r.GetInt64(0),
        OccurredAt = r.GetInt64(1),
        ActorKind = r.GetString(2),
        ActorTokenId = Number(r, 3),
        RemoteAddress = Text(r, 4),
        RequestId = Text(r, 5),
        ServiceId = Number(r, 6),
        ClientId = Number(r, 7),
        Action = r.GetString(8),
        SecretId = Number(r, 9),
        Outcome = r.GetString(10),
        Target = Text(r, 11),
    };

    public static long? Number(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);

    public static string? Text(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
}
