namespace Rekey.Server.Storage;

/// <summary>
/// Every statement of the store, written once for both engines (<c>@name</c> parameters), with the few dialect
/// differences as named fragments of <see cref="Dialect"/>. Built once per engine; the engines keep each text prepared.
/// </summary>
internal sealed class SqlText(Dialect d)
{
    // ---- schema -------------------------------------------------------------------------------------

    public readonly string CreateMigrations = "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)";

    public readonly string AppliedMigrations = "SELECT version FROM schema_migrations";

    public readonly string RecordMigration = "INSERT INTO schema_migrations (version, applied_at) VALUES (@v, @t)";

    /// <summary>Nodes migrating at the same moment, and key operations, run one at a time (PostgreSQL; SQLite has one writer).</summary>
    public readonly string SchemaLock = "SELECT pg_advisory_xact_lock(@k)";

    /// <summary>What a change reached, told to every node when the change commits (PostgreSQL); SQLite has one node.</summary>
    public readonly string? NotifyChange = d == Dialect.Postgres ? $"SELECT pg_notify('{Postgres.PostgresChangeFeed.Channel}', @p)" : null;

    // ---- client assertions (client_secret_jwt) ------------------------------------------------------

    /// <summary>
    /// Remembers a jti: a row when it is new, or when the one there is no longer remembered (expired but not yet pruned);
    /// no row when the client's earlier use of it still counts. Two nodes racing with one jti: the primary key lets one in.
    /// </summary>
    public readonly string RememberAssertion = """
        INSERT INTO client_assertions (client_id, jti, remember_until) VALUES (@c, @jti, @until)
        ON CONFLICT (client_id, jti) DO UPDATE SET remember_until = excluded.remember_until WHERE client_assertions.remember_until < @now
        RETURNING client_id
        """;

    public readonly string ForgetExpiredAssertions = "DELETE FROM client_assertions WHERE remember_until < @now";

    // ---- audit --------------------------------------------------------------------------------------

    /// <summary>
    /// An audit event. One that names a client links to the client's previous event (the head kept in its row, or in
    /// <c>deleted_clients</c> once it is gone): a client's trail is a chain, read without an index on audit_events that
    /// every write would have to update at a random place (<see cref="LinkClientAudit"/>).
    /// </summary>
    public readonly string InsertAudit = """
        INSERT INTO audit_events (occurred_at, actor_kind, actor_token_id, remote_address, request_id, service_id, client_id, action, secret_id, outcome, target, commit_key, client_prev_event_id)
        VALUES (@at, @kind, @token, @addr, @req, @s, @c, @action, @secret, @outcome, @target, @commit_key,
                COALESCE((SELECT audit_head FROM clients WHERE client_id = @c), (SELECT audit_head FROM deleted_clients WHERE client_id = @c)))
        """;

    /// <summary>The event just inserted becomes the head of its client's trail (the client's row is written anyway).</summary>
    public readonly string LinkClientAudit = $"UPDATE clients SET audit_head = {d.LastInsertId} WHERE client_id = @c";

    /// <summary>The same for a change that also writes a lifecycle event: the client's next event number with it.</summary>
    public readonly string LinkClientAuditForEvent = $"UPDATE clients SET audit_head = {d.LastInsertId}, event_seq = event_seq + 1 WHERE client_id = @c";

    /// <summary>The same for a client deleted while a refusal naming it was being recorded.</summary>
    public readonly string LinkDeletedClientAudit = $"UPDATE deleted_clients SET audit_head = {d.LastInsertId} WHERE client_id = @c";

    /// <summary>Locks a client's trail head (PostgreSQL) for a refusal recorded outside any change of the client.</summary>
    public readonly string ClientTrailForUpdate = $"SELECT client_id FROM clients WHERE client_id = @c{d.ForUpdate}";

    public readonly string DeletedClientTrailForUpdate = $"SELECT client_id FROM deleted_clients WHERE client_id = @c{d.ForUpdate}";

    /// <summary>
    /// A client's events, newest first, by following the chain from its head: as many primary-key lookups as it has
    /// events (<c>trail</c> drives the join; SQLite keeps the left table of a CROSS JOIN outside).
    /// </summary>
    private const string ClientTrail = """
        WITH RECURSIVE trail(event_id) AS (
            SELECT COALESCE((SELECT audit_head FROM clients WHERE client_id = @c), (SELECT audit_head FROM deleted_clients WHERE client_id = @c))
            UNION ALL
            SELECT e.client_prev_event_id FROM audit_events e JOIN trail t ON e.event_id = t.event_id WHERE e.client_prev_event_id IS NOT NULL
        )
        """;

    /// <summary>
    /// The count and the page of an audit list, with only the filters given in the text: a condition such as
    /// <c>(@s IS NULL OR service_id = @s)</c> keeps SQLite from using any index (every list was a full scan).
    /// </summary>
    public static (string Count, string Page) AuditList(bool byService, bool byClient, bool byAction)
    {
        var from = byClient ? ClientTrail + "SELECT {0} FROM trail t CROSS JOIN audit_events e WHERE e.event_id = t.event_id" : "SELECT {0} FROM audit_events e WHERE TRUE";
        var where = (byService ? " AND e.service_id = @s" : "") + (byAction ? " AND e.action = @a" : "");
        return (from.Replace("{0}", "COUNT(*)", StringComparison.Ordinal) + where,
            from.Replace("{0}", Rows.AuditColumns, StringComparison.Ordinal) + where + " ORDER BY e.event_id DESC LIMIT @limit OFFSET @offset");
    }

    // ---- services -----------------------------------------------------------------------------------

    public readonly string InsertService = $"""
        INSERT INTO services (service_id, document, secret_grace_s, secret_lifetime_s, secret_warnings, secret_format, leak_response, created_at, modified_at)
        VALUES (@id, @doc, @grace, @life, @warn, @fmt, @leak, @now, @now) ON CONFLICT (service_id) DO NOTHING RETURNING {Rows.ServiceColumns}
        """;

    public readonly string ServiceById = $"SELECT {Rows.ServiceColumns} FROM services WHERE service_id = @id";

    public readonly string ServiceByIdForUpdate = $"SELECT {Rows.ServiceColumns} FROM services WHERE service_id = @id{d.ForUpdate}";

    public readonly string ServiceExists = "SELECT COUNT(*) FROM services WHERE service_id = @s";

    /// <summary>KEY SHARE keeps the service from being deleted until the transaction ends (PostgreSQL).</summary>
    public readonly string ServiceLifetimeForKeyShare =
        $"SELECT secret_lifetime_s, secret_warnings, EXISTS (SELECT 1 FROM webhooks w WHERE w.service_id = @s AND w.enabled), secret_format FROM services WHERE service_id = @s{d.ForKeyShare}";

    private const string ServiceFilter = " WHERE (@only IS NULL OR service_id = @only)";

    public readonly string CountServices = "SELECT COUNT(*) FROM services" + ServiceFilter;

    public readonly string PageServices = $"SELECT {Rows.ServiceColumns} FROM services{ServiceFilter} ORDER BY number LIMIT @limit OFFSET @offset";

    public readonly string UpdateService = $"""
        UPDATE services SET document = @doc, secret_grace_s = @grace, secret_lifetime_s = @life, secret_warnings = @warn, secret_format = @fmt, leak_response = @leak,
            modified_at = @now
        WHERE service_id = @id RETURNING {Rows.ServiceColumns}
        """;

    /// <summary>
    /// New expiry thresholds change every client's next notice: each is looked at by the next sweep.
    /// </summary>
    public readonly string ResweepServiceClients = "UPDATE clients SET next_notice_at = @now WHERE service_id = @id";

    public readonly string ServiceWarnings = "SELECT secret_warnings FROM services WHERE service_id = @id";

    /// <summary>Last-use rows have no foreign key (a use recorded as its client is deleted must not fail): they go first.</summary>
    public readonly string DeleteServiceUses = "DELETE FROM secret_uses WHERE client_id IN (SELECT client_id FROM clients WHERE service_id = @id)";

    public readonly string DeleteService = "DELETE FROM services WHERE service_id = @id";

    // ---- clients ------------------------------------------------------------------------------------

    /// <summary>A client by numeric ID or alias within its service: a numeric ID wins over an equal alias of another client.</summary>
    private const string ByKey = " WHERE c.service_id = @s AND (c.client_id = @n OR c.alias = @a) ORDER BY c.client_id = @n DESC LIMIT 1";

    public readonly string ClientByKey = Rows.ClientSelect + ByKey;

    /// <summary>
    /// The same, locking the client's row (PostgreSQL): concurrent changes of one client, on any node, queue on it. Its
    /// secrets live in that row, so the row as read after the wait is the one the previous lock holder committed.
    /// </summary>
    public readonly string ClientByKeyForUpdate = Rows.ClientSelect + ByKey + d.ForUpdateOfClients;

    public readonly string ClientById = Rows.ClientSelect + " WHERE c.client_id = @id";

    private const string ClientFilter = "c.service_id = @s AND (@d IS NULL OR c.developer = @d)";

    public readonly string CountClients = "SELECT COUNT(*) FROM clients c WHERE " + ClientFilter;

    /// <summary>Every client's secrets, a page at a time by client ID (keyset: no OFFSET to skip, no long snapshot).</summary>
    public readonly string SecretsAfter = "SELECT client_id, secrets FROM clients WHERE client_id > @after ORDER BY client_id LIMIT @limit";

    public readonly string PageClients = Rows.ClientSelect + " WHERE " + ClientFilter + " ORDER BY c.number LIMIT @limit OFFSET @offset";

    /// <summary>
    /// A new client ID may not equal any alias (IDs and aliases share one namespace; an equal ID is refused by the insert),
    /// nor the ID of a deleted client: an ID names one client for ever, in the audit trail and in any configuration
    /// that still holds it.
    /// </summary>
    public readonly string ClientIdTaken = "SELECT (SELECT COUNT(*) FROM clients WHERE alias = @text) + (SELECT COUNT(*) FROM deleted_clients WHERE client_id = @id)";

    public readonly string AliasTaken = "SELECT COUNT(*) FROM clients WHERE service_id = @s AND alias = @a AND client_id <> @c";

    public readonly string IdInService = "SELECT COUNT(*) FROM clients WHERE service_id = @s AND client_id = @id";

    public readonly string InsertClient = """
        INSERT INTO clients (client_id, service_id, alias, developer, locked, document, created_at, modified_at, secrets, secret_key_id, next_notice_at, name_key,
                             registration_token)
        VALUES (@c, @s, @a, @d, @l, @doc, @now, @now, @secrets, @key, @next, @name, @rat) ON CONFLICT (client_id) DO NOTHING
        """;

    public readonly string UpdateClient = "UPDATE clients SET alias = @a, developer = @d, document = @doc, name_key = @name, modified_at = @now WHERE client_id = @c";

    /// <summary>An RFC 7592 update replaces the registration access token (its SHA-256): the one presented stops working.</summary>
    public readonly string SetRegistrationToken = "UPDATE clients SET registration_token = @rat WHERE client_id = @c";

    /// <summary>A page of a service's clients after a position (keyset: as fast on the last page of a million as on the first).</summary>
    public readonly string ClientsAfter = Rows.ClientSelect + " WHERE c.service_id = @s AND c.number > @after ORDER BY c.number LIMIT @limit";

    /// <summary>Clients whose name starts with a prefix (lowercased): a range of the name index.</summary>
    public readonly string ClientsByNamePrefix = Rows.ClientSelect + " WHERE c.service_id = @s AND c.name_key >= @lo AND c.name_key < @hi ORDER BY c.name_key, c.number LIMIT @limit";

    public readonly string DeleteClientUses = "DELETE FROM secret_uses WHERE client_id = @c";

    public readonly string DeleteClient = "DELETE FROM clients WHERE client_id = @c";

    /// <summary>A deleted client's ID stays taken, and its audit trail stays readable from the head kept here.</summary>
    public readonly string KeepDeletedClient = "INSERT INTO deleted_clients (client_id, audit_head) SELECT client_id, audit_head FROM clients WHERE client_id = @c";

    /// <summary>Every client of a deleted service, as it is once the changes in flight have committed (PostgreSQL locks them).</summary>
    public readonly string KeepDeletedClientsOfService = $"INSERT INTO deleted_clients (client_id, audit_head) SELECT client_id, audit_head FROM clients WHERE service_id = @id{d.ForUpdate}";

    public readonly string SetClientLock = "UPDATE clients SET locked = @l, modified_at = @now WHERE client_id = @c";

    // ---- secrets ------------------------------------------------------------------------------------

    /// <summary>A rotation: the client's secrets and the data key of its current one, and its modification time.</summary>
    public readonly string UpdateSecretsTouch = "UPDATE clients SET secrets = @secrets, secret_key_id = @key, modified_at = @now, next_notice_at = @next WHERE client_id = @c";

    /// <summary>
    /// The same when the current secret's data key did not change (nearly always): a column left out of SET leaves its
    /// index entry alone, where SQLite would otherwise rewrite it — a page of the index per update.
    /// </summary>
    public readonly string UpdateSecretsTouchSameKey = "UPDATE clients SET secrets = @secrets, modified_at = @now, next_notice_at = @next WHERE client_id = @c";

    /// <summary>A revocation or a re-encryption: the secrets alone.</summary>
    public readonly string UpdateSecrets = "UPDATE clients SET secrets = @secrets, secret_key_id = @key WHERE client_id = @c";

    /// <summary>What client authentication reads: one row.</summary>
    public readonly string CredentialsByKey = "SELECT c.client_id, c.alias, c.locked, c.document, c.secrets FROM clients c" + ByKey;

    public readonly string UsesOfClient = "SELECT secret_id, used_at FROM secret_uses WHERE client_id = @c";

    // ---- leaked secrets: the lookup by value -------------------------------------------------------

    public readonly string InsertLookup = "INSERT INTO secret_lookups (client_id, secret_id, service_id, digest) VALUES (@c, @id, @s, @d) ON CONFLICT (client_id, secret_id) DO NOTHING";

    public readonly string DeleteLookup = "DELETE FROM secret_lookups WHERE client_id = @c AND secret_id = @id";

    /// <summary>The secrets a value's lookup digest names, in one service (<c>@s</c>) or in any (<c>@s</c> null), in lock order.</summary>
    public readonly string LookupsByDigest = "SELECT service_id, client_id, secret_id FROM secret_lookups WHERE digest = @d AND (@s IS NULL OR service_id = @s) ORDER BY client_id, secret_id";

    /// <summary>Clients without any lookup row (their secrets predate migration 14), after a position: the backfill's pages.</summary>
    public readonly string ClientsWithoutLookups = """
        SELECT c.client_id, c.service_id, c.secrets FROM clients c
        WHERE c.client_id > @after AND NOT EXISTS (SELECT 1 FROM secret_lookups l WHERE l.client_id = c.client_id) ORDER BY c.client_id LIMIT @n
        """;

    public readonly string LeakReportByHash = "SELECT labels FROM leak_reports WHERE report_hash = @h";

    public readonly string InsertLeakReport = "INSERT INTO leak_reports (report_hash, received_at, labels) VALUES (@h, @at, @labels) ON CONFLICT (report_hash) DO NOTHING";

    public readonly string DeleteOldLeakReports = "DELETE FROM leak_reports WHERE received_at < @before";

    public readonly string RecordUse = $"""
        INSERT INTO secret_uses (client_id, secret_id, used_at) VALUES (@c, @id, @at)
        ON CONFLICT (client_id, secret_id) DO UPDATE SET used_at = {d.Greatest}(secret_uses.used_at, excluded.used_at)
        """;

    // ---- lifecycle events (outbox) and webhooks ----------------------------------------------------

    /// <summary>
    /// Whether an event of type <c>@type</c> in service <c>@s</c> has anyone to go to: an enabled webhook that wants it
    /// (<c>events</c> is stored space-padded, empty for every type).
    /// </summary>
    private const string Wanted = "EXISTS (SELECT 1 FROM webhooks w WHERE w.service_id = @s AND w.enabled AND (w.events = '' OR w.events LIKE @pattern))";

    /// <summary>
    /// An event about a client, numbered by the client's event counter (bumped by <see cref="LinkClientAuditForEvent"/> or
    /// <see cref="BumpEventSequence"/> just before), with the client's newest audit event when a change wrote one.
    /// Written only when a webhook wants it: the outbox holds what is to be delivered (the number is taken either way,
    /// and the audit trail records every change), so a service without webhooks pays no row per change.
    /// </summary>
    public readonly string InsertClientEvent = $"""
        INSERT INTO events (event_id, service_id, client_id, secret_id, type, occurred_at, audit_event_id, sequence, data)
        SELECT @e, @s, c.client_id, @secret, @type, @at, CASE WHEN @audited THEN c.audit_head END, c.event_seq, @data FROM clients c
        WHERE c.client_id = @c AND {Wanted}
        """;

    /// <summary>An event about a service's webhook (disabled), when a webhook wants it: the audit event just written is the last inserted row.</summary>
    public readonly string InsertWantedServiceEvent = $"""
        INSERT INTO events (event_id, service_id, type, occurred_at, audit_event_id, data) SELECT @e, @s, @type, @at, {d.LastInsertId}, @data WHERE {Wanted}
        """;

    /// <summary>An event for one webhook whatever it wants (a test): the audit event just written is the last inserted row.</summary>
    public readonly string InsertServiceEvent = $"""
        INSERT INTO events (event_id, service_id, type, occurred_at, audit_event_id, data) VALUES (@e, @s, @type, @at, {d.LastInsertId}, @data)
        """;

    public readonly string BumpEventSequence = "UPDATE clients SET event_seq = event_seq + 1 WHERE client_id = @c";

    public readonly string QueueDelivery = "INSERT INTO webhook_deliveries (webhook_id, event_id, status, attempts, created_at, next_attempt_at) VALUES (@w, @e, 0, 0, @at, @at)";

    /// <summary>Clients with a secret notice due: taken by one node at a time (PostgreSQL skips the rows another node holds).</summary>
    public readonly string ClientsWithNoticesDue = $"""
        SELECT c.client_id, c.service_id, c.alias, c.secrets, s.secret_warnings FROM clients c JOIN services s ON s.service_id = c.service_id
        WHERE c.next_notice_at <= @now ORDER BY c.next_notice_at LIMIT @n{d.SkipLockedOfClients}
        """;

    /// <summary>A notice given once, ever: no row when it was given before (by this node or another).</summary>
    public readonly string InsertNotice = "INSERT INTO secret_notices (client_id, secret_id, kind, threshold_s) VALUES (@c, @secret, @kind, @t) ON CONFLICT DO NOTHING";

    public readonly string SetNextNotice = "UPDATE clients SET next_notice_at = @next WHERE client_id = @c";

    /// <summary>The secrets a client has notices of: those it no longer keeps are forgotten (<see cref="ForgetNotices"/>).</summary>
    public readonly string NoticedSecrets = "SELECT DISTINCT secret_id FROM secret_notices WHERE client_id = @c";

    public readonly string ForgetNotices = "DELETE FROM secret_notices WHERE client_id = @c AND secret_id = @secret";

    /// <summary>Events past their retention with nothing left to deliver, a batch at a time; their deliveries go with them.</summary>
    public readonly string DeleteOldEvents = """
        DELETE FROM events WHERE event_id IN (
            SELECT e.event_id FROM events e WHERE e.occurred_at < @before
            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.event_id AND d.status = 0) LIMIT @n)
        """;

    public const string WebhookColumns = "webhook_id, service_id, url, events, description, enabled, disabled_reason, failing_since, prev_secret_until, created_at, modified_at";

    public readonly string InsertWebhook = $"""
        INSERT INTO webhooks (webhook_id, service_id, url, events, description, enabled, secret_key_id, secret, created_at, modified_at)
        VALUES (@id, @s, @url, @events, @d, @enabled, @k, @secret, @now, @now) ON CONFLICT (webhook_id) DO NOTHING RETURNING {WebhookColumns}
        """;

    public readonly string CountWebhooks = "SELECT COUNT(*) FROM webhooks WHERE service_id = @s";

    public readonly string PageWebhooks = $"SELECT {WebhookColumns} FROM webhooks WHERE service_id = @s ORDER BY created_at, webhook_id LIMIT @limit OFFSET @offset";

    public readonly string WebhookById = $"SELECT {WebhookColumns} FROM webhooks WHERE service_id = @s AND webhook_id = @id";

    public readonly string WebhookByIdForUpdate = $"SELECT {WebhookColumns} FROM webhooks WHERE service_id = @s AND webhook_id = @id{d.ForUpdate}";

    public readonly string UpdateWebhook = $"""
        UPDATE webhooks SET url = @url, events = @events, description = @d, enabled = @enabled, disabled_reason = @reason, failing_since = @failing, modified_at = @now
        WHERE webhook_id = @id RETURNING {WebhookColumns}
        """;

    public readonly string RotateWebhookSecret = $"""
        UPDATE webhooks SET prev_secret_key_id = secret_key_id, prev_secret = secret, prev_secret_until = @until, secret_key_id = @k, secret = @secret, modified_at = @now
        WHERE webhook_id = @id RETURNING {WebhookColumns}
        """;

    public readonly string DeleteWebhook = "DELETE FROM webhooks WHERE service_id = @s AND webhook_id = @id";

    public const string DeliveryColumns = "d.webhook_id, d.event_id, e.type, d.status, d.attempts, d.created_at, d.next_attempt_at, d.last_attempt_at, d.last_status, d.last_error, d.excerpt";

    public readonly string CountDeliveries = "SELECT COUNT(*) FROM webhook_deliveries WHERE webhook_id = @w";

    public readonly string PageDeliveries = $"""
        SELECT {DeliveryColumns} FROM webhook_deliveries d JOIN events e ON e.event_id = d.event_id
        WHERE d.webhook_id = @w ORDER BY d.created_at DESC, d.event_id DESC LIMIT @limit OFFSET @offset
        """;

    public readonly string DeliveryById = $"SELECT {DeliveryColumns} FROM webhook_deliveries d JOIN events e ON e.event_id = d.event_id WHERE d.webhook_id = @w AND d.event_id = @e";

    /// <summary>A delivery due again at once, with a fresh retry schedule (a redelivery or a test of a webhook that had failed).</summary>
    public readonly string Redeliver = "UPDATE webhook_deliveries SET status = 0, attempts = 0, next_attempt_at = @now, claim = NULL WHERE webhook_id = @w AND event_id = @e";

    /// <summary>
    /// Due deliveries of enabled webhooks, oldest first, with what sending needs: taken by one node at a time (the rows
    /// another node holds are skipped) and leased by <see cref="ClaimDelivery"/> before the transaction ends.
    /// </summary>
    public readonly string DueDeliveries = $"""
        SELECT d.webhook_id, d.event_id, d.attempts, w.service_id, w.url, w.secret_key_id, w.secret, w.prev_secret_key_id, w.prev_secret, w.prev_secret_until,
               e.type, e.occurred_at, e.client_id, e.secret_id, e.audit_event_id, e.sequence, e.data
        FROM webhook_deliveries d JOIN webhooks w ON w.webhook_id = d.webhook_id JOIN events e ON e.event_id = d.event_id
        WHERE d.status = 0 AND d.next_attempt_at <= @now AND w.enabled ORDER BY d.next_attempt_at LIMIT @n{d.SkipLockedOfDeliveries}
        """;

    public readonly string AnyDeliveryDue = "SELECT COUNT(*) FROM (SELECT 1 FROM webhook_deliveries WHERE status = 0 AND next_attempt_at <= @now LIMIT 1) due";

    public readonly string ClaimDelivery = "UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = @lease, last_attempt_at = @now, claim = @claim WHERE webhook_id = @w AND event_id = @e";

    /// <summary>The outcome of an attempt, written only by the node that still holds the claim.</summary>
    public readonly string CompleteDelivery = """
        UPDATE webhook_deliveries SET status = @status, next_attempt_at = @next, last_status = @code, last_error = @error, excerpt = @excerpt, claim = NULL
        WHERE webhook_id = @w AND event_id = @e AND claim = @claim
        """;

    public readonly string WebhookFailingSinceForUpdate = $"SELECT failing_since, enabled FROM webhooks WHERE webhook_id = @w{d.ForUpdate}";

    public readonly string WebhookSucceeded = "UPDATE webhooks SET failing_since = NULL WHERE webhook_id = @w AND failing_since IS NOT NULL";

    public readonly string WebhookFailed = "UPDATE webhooks SET failing_since = @since WHERE webhook_id = @w";

    public readonly string DisableWebhook = "UPDATE webhooks SET enabled = @f, disabled_reason = @reason, modified_at = @now WHERE webhook_id = @w";

    public readonly string WebhooksToReencrypt = $"""
        SELECT webhook_id, service_id, secret_key_id, secret, prev_secret_key_id, prev_secret FROM webhooks
        WHERE secret_key_id <> @k OR prev_secret_key_id <> @k ORDER BY webhook_id LIMIT @n{d.ForUpdate}
        """;

    public readonly string ResealWebhook = "UPDATE webhooks SET secret_key_id = @k, secret = @secret, prev_secret_key_id = @pk, prev_secret = @prev WHERE webhook_id = @w";

    // ---- console sessions ---------------------------------------------------------------------------

    public readonly string InsertConsoleSession = "INSERT INTO console_sessions (session_hash, token_hash, csrf, created_at, seen_at) VALUES (@id, @token, @csrf, @now, @now)";

    public readonly string ConsoleSessionById = "SELECT token_hash, csrf, created_at, seen_at FROM console_sessions WHERE session_hash = @id";

    public readonly string TouchConsoleSession = "UPDATE console_sessions SET seen_at = @now WHERE session_hash = @id";

    public readonly string DeleteConsoleSession = "DELETE FROM console_sessions WHERE session_hash = @id";

    public readonly string DeleteStaleConsoleSessions = "DELETE FROM console_sessions WHERE seen_at < @idle OR created_at < @created";

    // ---- API tokens ---------------------------------------------------------------------------------

    public readonly string InsertApiToken = $"""
        INSERT INTO api_tokens (token_id, service_id, token_hash, permissions, description, created_at)
        VALUES (@id, @s, @h, @p, @d, @now) ON CONFLICT (token_id) DO NOTHING RETURNING {Rows.ApiTokenColumns}
        """;

    public readonly string ApiTokenByHash = $"SELECT {Rows.ApiTokenColumns} FROM api_tokens WHERE token_hash = @h";

    public readonly string CountApiTokens = "SELECT COUNT(*) FROM api_tokens";

    public readonly string PageApiTokens = $"SELECT {Rows.ApiTokenColumns} FROM api_tokens ORDER BY created_at, token_id LIMIT @limit OFFSET @offset";

    public readonly string DeleteApiToken = "DELETE FROM api_tokens WHERE token_id = @id RETURNING service_id";

    // ---- initial access tokens (dynamic client registration) ---------------------------------------

    public readonly string InsertInitialAccessToken = $"""
        INSERT INTO initial_access_tokens (token_id, service_id, token_hash, description, created_at, expires_at, single_use)
        VALUES (@id, @s, @h, @d, @now, @exp, @single) ON CONFLICT (token_id) DO NOTHING RETURNING {Rows.InitialAccessTokenColumns}
        """;

    public readonly string InitialAccessTokenByHash = $"SELECT {Rows.InitialAccessTokenColumns} FROM initial_access_tokens WHERE service_id = @s AND token_hash = @h";

    public readonly string CountInitialAccessTokens = "SELECT COUNT(*) FROM initial_access_tokens WHERE service_id = @s";

    public readonly string PageInitialAccessTokens =
        $"SELECT {Rows.InitialAccessTokenColumns} FROM initial_access_tokens WHERE service_id = @s ORDER BY created_at, token_id LIMIT @limit OFFSET @offset";

    public readonly string DeleteInitialAccessToken = "DELETE FROM initial_access_tokens WHERE token_id = @id AND service_id = @s";

    /// <summary>
    /// Uses an initial access token for one registration, when it still may register one: not expired, and a single-use
    /// token not used before. One statement, so two registrations with a single-use token cannot both pass (the row lock
    /// on PostgreSQL, the single writer on SQLite); 0 rows = refused.
    /// </summary>
    public readonly string UseInitialAccessToken = """
        UPDATE initial_access_tokens SET registrations = registrations + 1, last_used_at = @now
        WHERE token_id = @id AND service_id = @s AND (expires_at IS NULL OR expires_at > @now) AND (NOT single_use OR registrations = 0)
        """;

    // ---- signing keys -------------------------------------------------------------------------------

    public readonly string SigningKeysOfService = """
        SELECT key_id, created_at, public_jwk, data_key_id, ciphertext, COALESCE(activates_at, created_at), retires_at
        FROM signing_keys WHERE service_id = @s ORDER BY created_at DESC, key_id DESC
        """;

    public readonly string NewestSigningKey = "SELECT COALESCE(MAX(created_at), 0) FROM signing_keys WHERE service_id = @s";

    public readonly string InsertSigningKey = """
        INSERT INTO signing_keys (key_id, service_id, created_at, public_jwk, data_key_id, ciphertext, activates_at) VALUES (@k, @s, @t, @jwk, @dk, @ct, @a)
        """;

    public readonly string RetireSigningKey = "UPDATE signing_keys SET retires_at = @r WHERE service_id = @s AND key_id = @k";

    /// <summary>Keys past their retirement: no token they signed is still valid.</summary>
    public readonly string DeleteRetiredSigningKeys = "DELETE FROM signing_keys WHERE service_id = @s AND retires_at IS NOT NULL AND retires_at <= @now";

    // ---- data keys ----------------------------------------------------------------------------------

    /// <summary>Clients whose current secret is sealed under another data key than the current one.</summary>
    public readonly string ClientsToReencrypt = $"SELECT client_id, service_id, secrets FROM clients WHERE secret_key_id <> @k ORDER BY client_id LIMIT @n{d.ForUpdate}";

    public readonly string SigningKeysToReencrypt = $"SELECT key_id, service_id, data_key_id, ciphertext FROM signing_keys WHERE data_key_id <> @k ORDER BY key_id LIMIT @n{d.ForUpdate}";

    public readonly string ResealSigningKey = "UPDATE signing_keys SET data_key_id = @k, ciphertext = @ct WHERE key_id = @id";

    public readonly string DataKeyUsage = """
        SELECT k.key_id, k.created_at,
               (SELECT COUNT(*) FROM clients c WHERE c.secret_key_id = k.key_id) + (SELECT COUNT(*) FROM signing_keys sk WHERE sk.data_key_id = k.key_id)
               + (SELECT COUNT(*) FROM webhooks w WHERE w.secret_key_id = k.key_id) + (SELECT COUNT(*) FROM webhooks w WHERE w.prev_secret_key_id = k.key_id)
        FROM data_keys k ORDER BY k.created_at DESC, k.key_id DESC
        """;
}
