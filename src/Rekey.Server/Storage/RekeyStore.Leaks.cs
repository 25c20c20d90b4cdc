using System.Globalization;
using Rekey.Contracts;
using Rekey.Server.Events;
using Rekey.Server.Http;
using Rekey.Server.Secrets;

namespace Rekey.Server.Storage;

internal sealed partial class RekeyStore
{
    /// <summary>The prefix of <c>IDENTIFIABLE</c> secrets this deployment generates (<c>Rekey:Leaks:SecretPrefix</c>).</summary>
    public string SecretPrefix { get; set; } = IdentifiableSecret.DefaultPrefix;

    /// <summary>A new client secret in the service's format.</summary>
    private string NewSecretFor(string? format) => SecretGenerator.NewClientSecret(format, SecretPrefix);

    /// <summary>
    /// Keeps the lookup rows of a client in step with its secrets, in the change's batch: a row for the secret added
    /// (<paramref name="added"/>, its value at hand), none any more for a secret that lost its digest (revoked) or was
    /// dropped from the set. A secret that keeps a digest keeps its row; the lookup digest does not depend on the data key.
    /// </summary>
    private void DeferLookups(IStoreSession s, long serviceId, long clientId, SecretSet before, SecretSet after, (long SecretId, string Value)? added)
    {
        foreach (var entry in before.Entries)
        {
            if (entry.Digest is not null && after.Find(entry.SecretId) is not { Digest: not null })
            {
                s.Defer(new Sql(_sql.DeleteLookup, SqlArg.Long("c", clientId), SqlArg.Long("id", entry.SecretId)));
            }
        }

        if (added is var (secretId, value))
        {
            s.Defer(new Sql(_sql.InsertLookup, SqlArg.Long("c", clientId), SqlArg.Long("id", secretId), SqlArg.Long("s", serviceId),
                SqlArg.Bytes("d", _cipher.LookupDigest(value))));
        }
    }

    public Task<LeakReportResult> ReportLeaksAsync(LeakBatch batch, ChangeContext change, CancellationToken ct) =>
        WriteUnitAsync(async (s, ct) =>
        {
            if (batch.ReportHash is { } hash
                && (await s.QueryAsync(new Sql(_sql.LeakReportByHash, SqlArg.Bytes("h", hash)), r => r.GetString(0), ct)) is [var labels])
            {
                return new LeakReportResult(true, [.. labels.Select(c => c == 'T')], []);
            }

            // Every lookup first (reads, no lock), then the clients locked in ascending ID order: two reports that name
            // the same clients queue on them in one order, whatever order their values came in.
            var hits = new List<(int Item, long ServiceId, long ClientId, long SecretId)>();
            for (var i = 0; i < batch.Items.Count; i++)
            {
                // A value that breaks Authlete's rules cannot be a client secret: no lookup.
                if (ClientSecretRules.Check(batch.Items[i].Value) is not null)
                {
                    continue;
                }

                var digest = _cipher.LookupDigest(batch.Items[i].Value);
                var rows = await s.QueryAsync(new Sql(_sql.LookupsByDigest, SqlArg.Bytes("d", digest), SqlArg.Long("s", batch.ServiceId)),
                    r => (ServiceId: r.GetInt64(0), ClientId: r.GetInt64(1), SecretId: r.GetInt64(2)), ct);
                hits.AddRange(rows.Select(r => (i, r.ServiceId, r.ClientId, r.SecretId)));
            }

            // Every read before the first deferred write (PostgreSQL sends the writes with COMMIT).
            var locked = new List<(IGrouping<(long ServiceId, long ClientId), (int Item, long ServiceId, long ClientId, long SecretId)> Hits, ClientRow Row)>();
            foreach (var client in hits.GroupBy(h => (h.ServiceId, h.ClientId)).OrderBy(g => g.Key.ClientId))
            {
                if ((await LockClientAsync(s, client.Key.ServiceId, client.Key.ClientId.ToString(CultureInfo.InvariantCulture), ct)).IsOk(out var row, out _))
                {
                    locked.Add((client, row));
                }
            }

            var found = new bool[batch.Items.Count];
            var matches = new List<LeakMatch>();
            foreach (var (client, row) in locked)
            {
                var (serviceId, clientId) = client.Key;

                // The lookup only points: a secret counts when the client's own digest of it matches the value, and it is
                // not revoked. A row the secret set no longer backs (a report racing a rotation) is dropped.
                var confirmed = new List<(int Item, SecretEntry Entry)>();
                foreach (var hit in client)
                {
                    var entry = row.Secrets.Find(hit.SecretId);
                    if (entry is { State: not SecretPolicy.StateRevoked, KeyId: { } keyId, Digest: { } stored }
                        && _cipher.Matches(keyId, stored, batch.Items[hit.Item].Value, SecretCipher.AssociatedData(serviceId, clientId, entry.SecretId)))
                    {
                        confirmed.Add((hit.Item, entry));
                    }
                    else if (entry?.Digest is null)
                    {
                        s.Defer(new Sql(_sql.DeleteLookup, SqlArg.Long("c", clientId), SqlArg.Long("id", hit.SecretId)));
                    }
                }

                if (confirmed.Count > 0)
                {
                    matches.AddRange(ApplyLeakResponse(s, change, row, confirmed, batch.Items));
                    foreach (var (item, _) in confirmed)
                    {
                        found[item] = true;
                    }
                }
            }

            if (batch.ReportHash is { } reportHash)
            {
                s.Defer(new Sql(_sql.InsertLeakReport, SqlArg.Bytes("h", reportHash), SqlArg.Long("at", change.At),
                    SqlArg.Text("labels", new string([.. found.Select(f => f ? 'T' : 'F')]))));
            }

            return new LeakReportResult(false, found, matches);
        }, ct);

    /// <summary>
    /// The service's <c>leakResponse</c> applied to the confirmed secrets of one client, in the report's transaction, and
    /// an audit event and a <c>client.secret.leaked</c> event per secret (the source URL, never the value).
    /// </summary>
    private List<LeakMatch> ApplyLeakResponse(IStoreSession s, ChangeContext change, ClientRow row, List<(int Item, SecretEntry Entry)> confirmed,
        IReadOnlyList<LeakItem> items)
    {
        var now = change.At;
        var client = row.Client;
        var response = row.Settings.EffectiveLeakResponse;
        var secrets = row.Secrets;
        long? replacement = null;
        string? replacementValue = null;
        var lockNow = false;
        if (response == LeakResponses.Revoke)
        {
            if (confirmed.Any(c => c.Entry.State == SecretPolicy.StateCurrent))
            {
                // The current secret: replaced by a generated one nobody has been given, with no grace period; the
                // client stays locked until an operator unlocks it (and hands out a new secret by refresh or update).
                replacementValue = NewSecretFor(row.Settings.SecretFormat);
                (var secretId, _, secrets) = WithNewSecret(row, replacementValue, now, graceSeconds: 0);
                replacement = secretId;
                lockNow = true;

                // A registered client's registration access token came in the same answer as its secret (RFC 7591 §3.2.1)
                // and would give the replacement to whoever holds the leak: it is replaced by one nobody has either. The
                // operator hands out a new one with the secret (client/registration_token/refresh).
                if (client.DynamicallyRegistered)
                {
                    s.Defer(new Sql(_sql.SetRegistrationToken, SqlArg.Bytes("rat", Auth.TokenHash.Of(SecretGenerator.NewRegistrationAccessToken())),
                        SqlArg.Long("c", client.ClientId)));
                }
            }

            foreach (var (_, entry) in confirmed.Where(c => c.Entry.State == SecretPolicy.StatePrevious))
            {
                secrets = secrets.Revoke(entry.SecretId, client.ClientId, now).Value ?? secrets;
            }

            DeferLookups(s, client.ServiceId, client.ClientId, row.Secrets, secrets, replacement is { } id ? (id, replacementValue!) : null);
            s.Defer(StoreSecrets(client.ClientId, secrets, touchedAt: replacement is null ? null : now, previousKeyId: row.Secrets.CurrentKeyId,
                nextNotice: replacement is null ? null : SecretNotices.NextSweep(secrets, row.Settings.Warnings, now)));
        }
        else if (response == LeakResponses.Lock)
        {
            lockNow = true;
        }

        if (lockNow && !client.Locked)
        {
            s.Defer(new Sql(_sql.SetClientLock, SqlArg.Bool("l", true), SqlArg.Long("now", now), SqlArg.Long("c", client.ClientId)));
        }

        var locked = client.Locked || lockNow;
        var matches = new List<LeakMatch>(confirmed.Count);
        foreach (var (item, entry) in confirmed)
        {
            var status = SecretPolicy.Status(entry.State, entry.ExpiresAt, entry.ValidUntil, now);
            var source = items[item];
            var url = source.Url is { Length: > 0 } u ? UntrustedText.Printable(u, LeakItem.MaxUrlLength) : null;
            DeferAudit(s, change, client.ServiceId, client.ClientId, entry.SecretId, target: url is null ? null : UntrustedText.Printable(url, 200),
                eventData: ChangeEvents.Data(("clientIdAlias", client.Alias), ("secretStatus", status), ("response", response),
                    ("replacementSecretId", entry.State == SecretPolicy.StateCurrent ? replacement : null), ("clientLocked", locked), ("sourceUrl", url),
                    ("source", source.Source)),
                eventWanted: row.Settings.HasWebhooks);
            matches.Add(new LeakMatch(item, client.ServiceId, client.ClientId, entry.SecretId, status, response,
                entry.State == SecretPolicy.StateCurrent ? replacement : null, locked));
        }

        return matches;
    }

    public async Task<int> BackfillLookupsAsync(int batchSize, CancellationToken ct)
    {
        var total = 0;
        var after = long.MinValue;
        while (true)
        {
            var (count, last) = await WriteUnitAsync(async (s, ct) =>
            {
                var clients = await s.QueryAsync(new Sql(_sql.ClientsWithoutLookups, SqlArg.Long("after", after), SqlArg.Int("n", batchSize)),
                    r => (ClientId: r.GetInt64(0), ServiceId: r.GetInt64(1), Secrets: SecretSetCodec.Decode((byte[])r.GetValue(2), $"client {r.GetInt64(0)}")), ct);
                await EnsureKeysAsync(s, clients.Select(c => c.Secrets.CurrentKeyId).OfType<string>(), ct);
                foreach (var (clientId, serviceId, secrets) in clients)
                {
                    // Only the current secret has a value to digest; previous secrets from before the upgrade stay unfindable
                    // until their grace period ends.
                    if (secrets.Current is { KeyId: { } keyId, Ciphertext: { } ciphertext } current)
                    {
                        var value = _cipher.Open(keyId, ciphertext, SecretCipher.AssociatedData(serviceId, clientId, current.SecretId));
                        s.Defer(new Sql(_sql.InsertLookup, SqlArg.Long("c", clientId), SqlArg.Long("id", current.SecretId), SqlArg.Long("s", serviceId),
                            SqlArg.Bytes("d", _cipher.LookupDigest(value))));
                    }
                }

                return (clients.Count, clients.Count == 0 ? after : clients[^1].ClientId);
            }, ct);
            total += count;
            after = last;
            if (count < batchSize)
            {
                return total;
            }
        }
    }

    public Task<int> ForgetOldLeakReportsAsync(long before, CancellationToken ct) =>
        WriteUnitAsync((s, ct) => s.ExecuteAsync(new Sql(_sql.DeleteOldLeakReports, SqlArg.Long("before", before)), ct), ct);
}
