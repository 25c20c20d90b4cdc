using System.Globalization;
using Rekey.Contracts;
using Rekey.Server.Events;
using Rekey.Server.Secrets;

namespace Rekey.Server.Storage;

internal sealed partial class RekeyStore
{
    /// <summary>
    /// Writes an event, deferred into the unit's transaction, when an enabled webhook of the service wants its type; the
    /// database writes its deliveries as the row goes in (trigger <c>events_fan_out</c>, migration 13). An event about a client takes the client's next
    /// sequence number: the statement before it (<see cref="SqlText.LinkClientAuditForEvent"/> or
    /// <see cref="SqlText.BumpEventSequence"/>) counted it.
    /// </summary>
    private void DeferEvent(IStoreSession s, string type, long serviceId, long? clientId, long? secretId, long at, string? data, bool audited)
    {
        var eventId = ChangeEvents.NewEventId(at);
        var pattern = SqlArg.Text("pattern", ChangeEvents.FilterPattern(type));
        s.Defer(clientId is { } c
            ? new Sql(_sql.InsertClientEvent, SqlArg.Text("e", eventId), SqlArg.Long("s", serviceId), SqlArg.Long("secret", secretId), SqlArg.Text("type", type),
                SqlArg.Long("at", at), SqlArg.Bool("audited", audited), SqlArg.Text("data", data), SqlArg.Long("c", c), pattern)
            : new Sql(_sql.InsertWantedServiceEvent, SqlArg.Text("e", eventId), SqlArg.Long("s", serviceId), SqlArg.Text("type", type), SqlArg.Long("at", at),
                SqlArg.Text("data", data), pattern));
    }

    // ---- the expiry sweep -----------------------------------------------------------------------------

    /// <summary>
    /// Gives the secret notices due at <paramref name="now"/> for up to <paramref name="batchSize"/> clients, in one
    /// transaction: each notice once, ever (<c>secret_notices</c>' primary key decides between nodes and restarts), its
    /// event and deliveries with it, and each client's next moment. Returns how many clients it looked at and the types
    /// of the events it wrote.
    /// </summary>
    public Task<(int Clients, IReadOnlyList<string> Given)> SweepSecretNoticesAsync(long now, int batchSize, CancellationToken ct) =>
        WriteUnitAsync(async (s, ct) =>
        {
            var due = await s.QueryAsync(new Sql(_sql.ClientsWithNoticesDue, SqlArg.Long("now", now), SqlArg.Int("n", batchSize)),
                r => (ClientId: r.GetInt64(0), ServiceId: r.GetInt64(1), Alias: Rows.Text(r, 2), Secrets: SecretSetCodec.Decode((byte[])r.GetValue(3), $"client {r.GetInt64(0)}"),
                    Warnings: SecretNotices.Decode(Rows.Text(r, 4))), ct);
            var given = new List<(long ClientId, long ServiceId, string? Alias, SecretNotice Notice)>();
            var next = new List<(long ClientId, long? At)>(due.Count);
            var forgotten = new List<(long ClientId, long SecretId)>();
            foreach (var client in due)
            {
                var (notices, nextAt) = SecretNotices.Plan(client.Secrets, client.Warnings, now);
                foreach (var notice in notices)
                {
                    var inserted = await s.ExecuteAsync(new Sql(_sql.InsertNotice, SqlArg.Long("c", client.ClientId), SqlArg.Long("secret", notice.SecretId),
                        SqlArg.Text("kind", notice.Type), SqlArg.Long("t", notice.ThresholdSeconds)), ct);
                    if (inserted > 0)
                    {
                        given.Add((client.ClientId, client.ServiceId, client.Alias, notice));
                    }
                }

                foreach (var secretId in await s.QueryAsync(new Sql(_sql.NoticedSecrets, SqlArg.Long("c", client.ClientId)), r => r.GetInt64(0), ct))
                {
                    if (client.Secrets.Find(secretId) is null)
                    {
                        forgotten.Add((client.ClientId, secretId));
                    }
                }

                next.Add((client.ClientId, nextAt));
            }

            // Every read above, every write below (they go with COMMIT on PostgreSQL).
            foreach (var (clientId, serviceId, alias, notice) in given)
            {
                s.Defer(new Sql(_sql.BumpEventSequence, SqlArg.Long("c", clientId)));
                var data = ChangeEvents.Data(("clientIdAlias", alias), ("secretStatus", notice.Previous ? "previous" : "current"),
                    (notice.Previous && notice.Type != EventTypes.SecretExpired ? "validUntil" : "expiresAt", notice.Deadline),
                    ("threshold", notice.ThresholdSeconds == 0 ? null : notice.ThresholdSeconds));
                DeferEvent(s, notice.Type, serviceId, clientId, notice.SecretId, now, data, audited: false);
            }

            foreach (var (clientId, secretId) in forgotten)
            {
                s.Defer(new Sql(_sql.ForgetNotices, SqlArg.Long("c", clientId), SqlArg.Long("secret", secretId)));
            }

            foreach (var (clientId, at) in next)
            {
                s.Defer(new Sql(_sql.SetNextNotice, SqlArg.Long("next", at), SqlArg.Long("c", clientId)));
            }

            return (due.Count, (IReadOnlyList<string>)[.. given.Select(g => g.Notice.Type)]);
        }, ct);

    /// <summary>Deletes up to <paramref name="batchSize"/> events older than <paramref name="before"/> with no delivery pending; how many.</summary>
    public Task<int> ForgetOldEventsAsync(long before, int batchSize, CancellationToken ct) =>
        WriteUnitAsync((s, ct) => s.ExecuteAsync(new Sql(_sql.DeleteOldEvents, SqlArg.Long("before", before), SqlArg.Int("n", batchSize)), ct), ct);

    // ---- webhooks ---------------------------------------------------------------------------------------

    private static StoredWebhook Webhook(System.Data.Common.DbDataReader r) =>
        new(r.GetInt64(0), r.GetInt64(1), r.GetString(2), ChangeEvents.DecodeFilter(r.GetString(3)), Rows.Text(r, 4), r.GetBoolean(5), Rows.Text(r, 6),
            Rows.Number(r, 7), Rows.Number(r, 8), r.GetInt64(9), r.GetInt64(10));

    private static StoredDelivery Delivery(System.Data.Common.DbDataReader r) =>
        new(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.GetInt32(4), r.GetInt64(5), Rows.Number(r, 6), Rows.Number(r, 7),
            r.IsDBNull(8) ? null : r.GetInt32(8), Rows.Text(r, 9), Rows.Text(r, 10));

    private static string WebhookTarget(long webhookId) => "webhook " + webhookId.ToString(CultureInfo.InvariantCulture);

    private SealedSecret SealWebhookSecret(long serviceId, long webhookId, string secret) =>
        _cipher.Seal(secret, SecretCipher.WebhookAssociatedData(serviceId, webhookId));

    public Task<Outcome<StoredWebhook>> CreateWebhookAsync(long serviceId, WebhookContent content, string signingSecret, int maxPerService, ChangeContext change, CancellationToken ct) =>
        WriteUnitAsync<Outcome<StoredWebhook>>(async (s, ct) =>
        {
            if ((await s.QueryAsync(new Sql(_sql.ServiceLifetimeForKeyShare, SqlArg.Long("s", serviceId)), r => r.GetInt64(0), ct)).Count == 0)
            {
                return StoreRules.ServiceNotFound(serviceId);
            }

            if (await CountAsync(s, new Sql(_sql.CountWebhooks, SqlArg.Long("s", serviceId)), ct) >= maxPerService)
            {
                return RuleViolation.Of(ResultCodes.WebhookLimitReached, serviceId, maxPerService);
            }

            var (id, webhook) = await InsertWithNewIdAsync(s, id =>
            {
                var sealedSecret = SealWebhookSecret(serviceId, id, signingSecret);
                return new Sql(_sql.InsertWebhook, SqlArg.Long("id", id), SqlArg.Long("s", serviceId), SqlArg.Text("url", content.Url),
                    SqlArg.Text("events", ChangeEvents.EncodeFilter(content.Events)), SqlArg.Text("d", content.Description), SqlArg.Bool("enabled", content.Enabled),
                    SqlArg.Text("k", sealedSecret.KeyId), SqlArg.Bytes("secret", sealedSecret.Ciphertext), SqlArg.Long("now", change.At));
            }, Webhook, ct);
            DeferAudit(s, change, serviceId, null, null, target: WebhookTarget(id));
            return webhook;
        }, ct);

    public Task<Outcome<StoredWebhook>> GetWebhookAsync(long serviceId, long webhookId, CancellationToken ct) =>
        ReadUnitAsync<Outcome<StoredWebhook>>(async (s, ct) =>
            await s.QueryAsync(new Sql(_sql.WebhookById, SqlArg.Long("s", serviceId), SqlArg.Long("id", webhookId)), Webhook, ct) is [var webhook]
                ? webhook
                : await WebhookNotFoundAsync(s, serviceId, webhookId, ct), ct);

    public Task<Outcome<Page<StoredWebhook>>> ListWebhooksAsync(long serviceId, int start, int end, CancellationToken ct) =>
        ReadUnitAsync<Outcome<Page<StoredWebhook>>>(async (s, ct) =>
        {
            if (!await ServiceExistsAsync(s, serviceId, ct))
            {
                return StoreRules.ServiceNotFound(serviceId);
            }

            var total = await CountAsync(s, new Sql(_sql.CountWebhooks, SqlArg.Long("s", serviceId)), ct);
            var items = await s.QueryAsync(new Sql(_sql.PageWebhooks, SqlArg.Long("s", serviceId), SqlArg.Int("limit", end - start), SqlArg.Int("offset", start)), Webhook, ct);
            return new Page<StoredWebhook>(items, (int)total);
        }, ct);

    /// <summary>
    /// Replaces what <paramref name="update"/> makes of the stored webhook, under its row lock. Enabling a webhook clears
    /// why the server had disabled it and its failure streak.
    /// </summary>
    public Task<Outcome<StoredWebhook>> UpdateWebhookAsync(long serviceId, long webhookId, Func<StoredWebhook, Outcome<WebhookContent>> update, ChangeContext change,
        CancellationToken ct) =>
        WriteUnitAsync<Outcome<StoredWebhook>>(async (s, ct) =>
        {
            if ((await s.QueryAsync(new Sql(_sql.WebhookByIdForUpdate, SqlArg.Long("s", serviceId), SqlArg.Long("id", webhookId)), Webhook, ct)) is not [var stored])
            {
                return await WebhookNotFoundAsync(s, serviceId, webhookId, ct);
            }

            if (!update(stored).IsOk(out var content, out var error))
            {
                return error;
            }

            var enabling = content.Enabled && !stored.Enabled;
            var updated = (await s.QueryAsync(new Sql(_sql.UpdateWebhook, SqlArg.Text("url", content.Url), SqlArg.Text("events", ChangeEvents.EncodeFilter(content.Events)),
                SqlArg.Text("d", content.Description), SqlArg.Bool("enabled", content.Enabled), SqlArg.Text("reason", enabling || content.Enabled ? null : stored.DisabledReason),
                SqlArg.Long("failing", enabling ? null : stored.FailingSince), SqlArg.Long("now", change.At), SqlArg.Long("id", webhookId)), Webhook, ct)).Single();
            DeferAudit(s, change, serviceId, null, null, target: WebhookTarget(webhookId));
            return updated;
        }, ct);

    public Task<Outcome<StoredWebhook>> RotateWebhookSecretAsync(long serviceId, long webhookId, string signingSecret, long overlapSeconds, ChangeContext change, CancellationToken ct) =>
        WriteUnitAsync<Outcome<StoredWebhook>>(async (s, ct) =>
        {
            if ((await s.QueryAsync(new Sql(_sql.WebhookByIdForUpdate, SqlArg.Long("s", serviceId), SqlArg.Long("id", webhookId)), Webhook, ct)).Count == 0)
            {
                return await WebhookNotFoundAsync(s, serviceId, webhookId, ct);
            }

            var sealedSecret = SealWebhookSecret(serviceId, webhookId, signingSecret);
            var rotated = (await s.QueryAsync(new Sql(_sql.RotateWebhookSecret, SqlArg.Long("until", overlapSeconds > 0 ? change.At + (overlapSeconds * 1000) : null),
                SqlArg.Text("k", sealedSecret.KeyId), SqlArg.Bytes("secret", sealedSecret.Ciphertext), SqlArg.Long("now", change.At), SqlArg.Long("id", webhookId)), Webhook, ct)).Single();
            DeferAudit(s, change, serviceId, null, null, target: WebhookTarget(webhookId));
            return rotated;
        }, ct);

    public Task<Outcome<long>> DeleteWebhookAsync(long serviceId, long webhookId, ChangeContext change, CancellationToken ct) =>
        WriteUnitAsync<Outcome<long>>(async (s, ct) =>
        {
            if (await s.ExecuteAsync(new Sql(_sql.DeleteWebhook, SqlArg.Long("s", serviceId), SqlArg.Long("id", webhookId)), ct) == 0)
            {
                return await WebhookNotFoundAsync(s, serviceId, webhookId, ct);
            }

            DeferAudit(s, change, serviceId, null, null, target: WebhookTarget(webhookId));
            return webhookId;
        }, ct);

    /// <summary>Writes a <c>webhook.test</c> event for this webhook alone, with its audit event; the delivery it queued.</summary>
    public Task<Outcome<StoredDelivery>> QueueTestEventAsync(long serviceId, long webhookId, ChangeContext change, CancellationToken ct) =>
        WriteUnitAsync<Outcome<StoredDelivery>>(async (s, ct) =>
        {
            if ((await s.QueryAsync(new Sql(_sql.WebhookByIdForUpdate, SqlArg.Long("s", serviceId), SqlArg.Long("id", webhookId)), Webhook, ct)).Count == 0)
            {
                return await WebhookNotFoundAsync(s, serviceId, webhookId, ct);
            }

            // The audit event first (the event links to it as the last row inserted), then the event for this webhook only.
            var target = WebhookTarget(webhookId);
            await s.ExecuteAsync(new Sql(_sql.InsertAudit,
                SqlArg.Long("at", change.At), SqlArg.Text("kind", change.ActorKind), SqlArg.Long("token", change.ActorTokenId), SqlArg.Text("addr", change.RemoteAddress),
                SqlArg.Text("req", change.RequestId), SqlArg.Long("s", serviceId), SqlArg.Long("c", null), SqlArg.Text("action", change.Action),
                SqlArg.Long("secret", null), SqlArg.Text("outcome", "success"), SqlArg.Text("target", target), SqlArg.Uuid("commit_key", s.CommitKeyForAudit())), ct);
            var eventId = ChangeEvents.NewEventId(change.At);
            await s.ExecuteAsync(new Sql(_sql.InsertServiceEvent, SqlArg.Text("e", eventId), SqlArg.Long("s", serviceId), SqlArg.Text("type", EventTypes.WebhookTest),
                SqlArg.Long("at", change.At), SqlArg.Text("data", ChangeEvents.Data(("webhookId", webhookId)))), ct);
            await s.ExecuteAsync(new Sql(_sql.QueueDelivery, SqlArg.Long("w", webhookId), SqlArg.Text("e", eventId), SqlArg.Long("at", change.At)), ct);
            return (await s.QueryAsync(new Sql(_sql.DeliveryById, SqlArg.Long("w", webhookId), SqlArg.Text("e", eventId)), Delivery, ct)).Single();
        }, ct);

    public Task<Outcome<Page<StoredDelivery>>> ListDeliveriesAsync(long serviceId, long webhookId, int start, int end, CancellationToken ct) =>
        ReadUnitAsync<Outcome<Page<StoredDelivery>>>(async (s, ct) =>
        {
            if ((await s.QueryAsync(new Sql(_sql.WebhookById, SqlArg.Long("s", serviceId), SqlArg.Long("id", webhookId)), Webhook, ct)).Count == 0)
            {
                return await WebhookNotFoundAsync(s, serviceId, webhookId, ct);
            }

            var total = await CountAsync(s, new Sql(_sql.CountDeliveries, SqlArg.Long("w", webhookId)), ct);
            var items = await s.QueryAsync(new Sql(_sql.PageDeliveries, SqlArg.Long("w", webhookId), SqlArg.Int("limit", end - start), SqlArg.Int("offset", start)), Delivery, ct);
            return new Page<StoredDelivery>(items, (int)total);
        }, ct);

    /// <summary>Makes a delivery due again at once with a fresh retry schedule (whatever its status); audited.</summary>
    public Task<Outcome<StoredDelivery>> RedeliverAsync(long serviceId, long webhookId, string eventId, ChangeContext change, CancellationToken ct) =>
        WriteUnitAsync<Outcome<StoredDelivery>>(async (s, ct) =>
        {
            if ((await s.QueryAsync(new Sql(_sql.WebhookByIdForUpdate, SqlArg.Long("s", serviceId), SqlArg.Long("id", webhookId)), Webhook, ct)).Count == 0)
            {
                return await WebhookNotFoundAsync(s, serviceId, webhookId, ct);
            }

            if (await s.ExecuteAsync(new Sql(_sql.Redeliver, SqlArg.Long("now", change.At), SqlArg.Long("w", webhookId), SqlArg.Text("e", eventId)), ct) == 0)
            {
                return RuleViolation.Of(ResultCodes.WebhookDeliveryNotFound, eventId, serviceId);
            }

            var delivery = (await s.QueryAsync(new Sql(_sql.DeliveryById, SqlArg.Long("w", webhookId), SqlArg.Text("e", eventId)), Delivery, ct)).Single();
            DeferAudit(s, change, serviceId, null, null, target: WebhookTarget(webhookId));
            return delivery;
        }, ct);

    private async ValueTask<RuleViolation> WebhookNotFoundAsync(IStoreSession s, long serviceId, long webhookId, CancellationToken ct) =>
        await ServiceExistsAsync(s, serviceId, ct) ? RuleViolation.Of(ResultCodes.WebhookNotFound, webhookId, serviceId) : StoreRules.ServiceNotFound(serviceId);

    // ---- delivery ---------------------------------------------------------------------------------------

    /// <summary>
    /// Takes up to <paramref name="limit"/> due deliveries for this node, oldest first: the i-th leased until
    /// <paramref name="leaseUntil"/>(i) (the caller knows how long each may wait before its attempt; a node that dies
    /// leaves it due again then) under a fresh claim, its attempt counted, and its webhook's signing keys opened.
    /// PostgreSQL nodes skip the rows another node is taking.
    /// </summary>
    public async Task<IReadOnlyList<ClaimedDelivery>> ClaimDeliveriesAsync(long now, Func<int, long> leaseUntil, int limit, CancellationToken ct)
    {
        // A read first: an idle node (no webhook, nothing due) asks every poll, and must not take the SQLite writer for it.
        if (!await ReadUnitAsync(async (s, ct) => await CountAsync(s, new Sql(_sql.AnyDeliveryDue, SqlArg.Long("now", now)), ct) > 0, ct))
        {
            return [];
        }

        return await WriteUnitAsync<IReadOnlyList<ClaimedDelivery>>(async (s, ct) =>
        {
            var rows = await s.QueryAsync(new Sql(_sql.DueDeliveries, SqlArg.Long("now", now), SqlArg.Int("n", limit)), r => (
                WebhookId: r.GetInt64(0), EventId: r.GetString(1), Attempts: r.GetInt32(2), ServiceId: r.GetInt64(3), Url: r.GetString(4),
                KeyId: r.GetString(5), Secret: (byte[])r.GetValue(6), PrevKeyId: Rows.Text(r, 7), Prev: r.IsDBNull(8) ? null : (byte[])r.GetValue(8), PrevUntil: Rows.Number(r, 9),
                Event: new StoredEvent(r.GetString(1), r.GetInt64(3), r.GetString(10), r.GetInt64(11), Rows.Number(r, 12), Rows.Number(r, 13), Rows.Number(r, 14),
                    Rows.Number(r, 15), Rows.Text(r, 16))), ct);
            await EnsureKeysAsync(s, rows.SelectMany(r => r.PrevKeyId is { } p ? new[] { r.KeyId, p } : [r.KeyId]), ct);
            var claimed = new List<ClaimedDelivery>(rows.Count);
            foreach (var row in rows)
            {
                var aad = SecretCipher.WebhookAssociatedData(row.ServiceId, row.WebhookId);
                List<byte[]> keys = [SigningKey(_cipher.Open(row.KeyId, row.Secret, aad))];
                if (row is { PrevKeyId: { } prevKeyId, Prev: { } prev } && row.PrevUntil > now)
                {
                    keys.Add(SigningKey(_cipher.Open(prevKeyId, prev, aad)));
                }

                var claim = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
                s.Defer(new Sql(_sql.ClaimDelivery, SqlArg.Long("lease", leaseUntil(claimed.Count)), SqlArg.Long("now", now), SqlArg.Text("claim", claim),
                    SqlArg.Long("w", row.WebhookId), SqlArg.Text("e", row.EventId)));
                claimed.Add(new ClaimedDelivery(row.WebhookId, row.EventId, row.Attempts + 1, claim, row.Url, keys, row.Event));
            }

            return claimed;
        }, ct);
    }

    private static byte[] SigningKey(string secret) =>
        StandardWebhooks.TryDecodeSecret(secret, out var key) ? key : throw new InvalidOperationException("A stored webhook signing secret is malformed.");

    /// <summary>
    /// Records an attempt's outcome, if this node still holds the claim: delivered, due again at
    /// <see cref="DeliveryOutcome.RetryAt"/>, or failed. The webhook's failure streak follows; a webhook failing since
    /// before <see cref="DeliveryOutcome.DisableIfFailingSince"/> is disabled, with an audit event and a
    /// <c>webhook.disabled</c> event. True when the webhook was disabled.
    /// </summary>
    public async Task<bool> CompleteDeliveryAsync(ClaimedDelivery delivery, DeliveryOutcome outcome, CancellationToken ct) =>
        (await CompleteDeliveriesAsync([(delivery, outcome)], ct)).Count > 0;

    /// <summary>
    /// Records the outcomes of many attempts in one transaction (<see cref="CompleteDeliveryAsync"/> for each): the
    /// dispatcher's completions go in batches, so that recording does not cost a transaction per delivery. Failures
    /// first, in webhook order (each locks its webhook's row to follow its failure streak), then the deliveries, sent
    /// with COMMIT. The webhooks it disabled.
    /// </summary>
    public Task<IReadOnlyList<long>> CompleteDeliveriesAsync(IReadOnlyList<(ClaimedDelivery Delivery, DeliveryOutcome Outcome)> outcomes, CancellationToken ct) =>
        WriteUnitAsync<IReadOnlyList<long>>(async (s, ct) =>
        {
            var disabled = new List<(ClaimedDelivery Delivery, DeliveryOutcome Outcome, long Since)>();
            foreach (var (delivery, outcome) in outcomes.Where(o => !o.Outcome.Delivered).OrderBy(o => o.Delivery.WebhookId))
            {
                if (await s.ExecuteAsync(CompletionOf(delivery, outcome), ct) == 0
                    || (await s.QueryAsync(new Sql(_sql.WebhookFailingSinceForUpdate, SqlArg.Long("w", delivery.WebhookId)), r => (Since: Rows.Number(r, 0), Enabled: r.GetBoolean(1)), ct))
                        is not [var webhook])
                {
                    continue; // taken over by another node, or the webhook is gone
                }

                var since = webhook.Since ?? outcome.At;
                if (webhook.Since is null)
                {
                    await s.ExecuteAsync(new Sql(_sql.WebhookFailed, SqlArg.Long("since", since), SqlArg.Long("w", delivery.WebhookId)), ct);
                }

                if (webhook.Enabled && since <= outcome.DisableIfFailingSince && disabled.TrueForAll(d => d.Delivery.WebhookId != delivery.WebhookId))
                {
                    disabled.Add((delivery, outcome, since));
                }
            }

            // Every read above, every write below (with COMMIT on PostgreSQL). A success clears its webhook's failure
            // streak even when its claim was taken over: the receiver answered, whoever records it.
            var delivered = outcomes.Where(o => o.Outcome.Delivered).ToList();
            foreach (var (delivery, outcome) in delivered)
            {
                s.Defer(CompletionOf(delivery, outcome));
            }

            foreach (var webhookId in delivered.Select(d => d.Delivery.WebhookId).Distinct().Order())
            {
                s.Defer(new Sql(_sql.WebhookSucceeded, SqlArg.Long("w", webhookId)));
            }

            foreach (var (delivery, outcome, since) in disabled)
            {
                var reason = "every delivery failed since " + DateTimeOffset.FromUnixTimeMilliseconds(since).ToString("u", CultureInfo.InvariantCulture);
                s.Defer(new Sql(_sql.DisableWebhook, SqlArg.Bool("f", false), SqlArg.Text("reason", reason), SqlArg.Long("now", outcome.At), SqlArg.Long("w", delivery.WebhookId)));
                var change = new ChangeContext(AuditActions.WebhookDisable, outcome.At, Auth.Caller.SystemKind, null, null, null);
                DeferAudit(s, change, delivery.Event.ServiceId, null, null, target: WebhookTarget(delivery.WebhookId),
                    eventData: ChangeEvents.Data(("webhookId", delivery.WebhookId), ("reason", reason)));
            }

            return disabled.Select(d => d.Delivery.WebhookId).ToList();
        }, ct);

    private Sql CompletionOf(ClaimedDelivery delivery, DeliveryOutcome outcome) =>
        new(_sql.CompleteDelivery, SqlArg.Int("status", outcome.Delivered ? 1 : outcome.RetryAt is null ? 2 : 0), SqlArg.Long("next", outcome.Delivered ? null : outcome.RetryAt),
            SqlArg.Long("code", outcome.StatusCode), SqlArg.Text("error", outcome.Error), SqlArg.Text("excerpt", outcome.Excerpt),
            SqlArg.Long("w", delivery.WebhookId), SqlArg.Text("e", delivery.EventId), SqlArg.Text("claim", delivery.Claim));
}
