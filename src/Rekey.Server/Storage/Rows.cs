using System.Data.Common;
using Rekey.Contracts;

namespace Rekey.Server.Storage;

/// <summary>
/// Row shapes both stores read the same way: the column lists they select and the mapping from a row. The SQL
/// around them differs per store; what comes back does not.
/// </summary>
internal static class Rows
{
    public const string ServiceColumns = "service_id, number, document, created_at, modified_at";

    public const string ApiTokenColumns = "token_id, service_id, permissions, description, created_at";

    public const string SecretColumns = "secret_id, state, created_at, expires_at, valid_until, revoked_at, last_used_at, hint";

    /// <summary>
    /// A client with its service's number and settings and its current secret (always joined, for
    /// clientSecretExpiresAt; each store decrypts it only when asked for). Stores append their WHERE clause.
    /// </summary>
    public const string ClientSelect = """
        SELECT c.service_id, s.number, c.client_id, c.number, c.alias, c.developer, c.locked, c.document, c.created_at, c.modified_at,
               cs.secret_id, cs.key_id, cs.ciphertext, cs.expires_at, s.secret_grace_s, s.secret_lifetime_s
        FROM clients c
        JOIN services s ON s.service_id = c.service_id
        LEFT JOIN client_secrets cs ON cs.client_id = c.client_id AND cs.state = 0
        """;

    public const string AuditColumns = "event_id, occurred_at, actor_kind, actor_token_id, remote_address, request_id, service_id, client_id, action, secret_id, outcome, target";

    public static StoredService Service(DbDataReader r) => new(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetInt64(3), r.GetInt64(4));

    public static StoredApiToken ApiToken(DbDataReader r) =>
        new(r.GetInt64(0), r.GetInt64(1), r.GetString(2).Split(' ', StringSplitOptions.RemoveEmptyEntries), Text(r, 3), r.GetInt64(4));

    public static StoredSecret Secret(DbDataReader r) =>
        new(r.GetInt64(0), r.GetInt32(1), r.GetInt64(2), Number(r, 3), Number(r, 4), Number(r, 5), Number(r, 6), Text(r, 7));

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

    private static long? Number(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);

    private static string? Text(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
}
