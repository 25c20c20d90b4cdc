using System.Collections.Concurrent;
using Rekey.Contracts;
using Rekey.Server;
using Rekey.Server.Secrets;
using Rekey.Server.Storage;
using Rekey.Server.Storage.Postgres;
using Rekey.Server.Storage.Sqlite;

namespace Rekey.Tests.Storage;

/// <summary>
/// The contract of <see cref="IRekeyStore"/>, tested on the interface itself: one fresh database per test, the same
/// tests for every store. A subclass per store says how to make one.
/// </summary>
public abstract partial class StoreContractSuite : IAsyncLifetime
{
    private static readonly byte[] MasterKeyMaterial = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private readonly List<IRekeyStore> _opened = [];
    private readonly SecretCipher _cipher = NewCipher();
    private TestStore? _database;
    private IRekeyStore? _store;
    private long _clock = 1_700_000_000_000;

    internal IRekeyStore Store => _store ?? throw new InvalidOperationException("Not initialised.");

    private protected TestStore Database => _database ?? throw new InvalidOperationException("Not initialised.");

    /// <summary>A fresh, empty database.</summary>
    private protected abstract Task<TestStore> CreateDatabaseAsync();

    /// <summary>A store over <paramref name="database"/> (not yet migrated).</summary>
    private protected abstract IRekeyStore CreateStore(TestStore database, SecretCipher cipher);

    private protected static SecretCipher NewCipher() => new(new KeyRing([new MasterKey("test1", MasterKeyMaterial)]));

    /// <summary>The key operations of <paramref name="store"/> with <paramref name="cipher"/>, as a server runs them.</summary>
    private protected static KeyLifecycle Keys(IRekeyStore store, SecretCipher cipher) =>
        new(store, cipher, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<KeyLifecycle>.Instance);

    /// <summary>Schema, then keys: what a server does at start.</summary>
    private protected static async Task StartAsync(IRekeyStore store, SecretCipher cipher)
    {
        await store.MigrateAsync(CancellationToken.None);
        await Keys(store, cipher).InitializeAsync(CancellationToken.None);
    }

    /// <summary>Another store on the same database, as a second node would have it (its own cipher, same master key).</summary>
    private protected async Task<IRekeyStore> OpenAnotherAsync(SecretCipher? cipher = null)
    {
        cipher ??= NewCipher();
        var store = CreateStore(Database, cipher);
        _opened.Add(store);
        await StartAsync(store, cipher);
        return store;
    }

    public async Task InitializeAsync()
    {
        _database = await CreateDatabaseAsync();
        _store = CreateStore(_database, _cipher);
        _opened.Add(_store);
        await StartAsync(_store, _cipher);
    }

    public async Task DisposeAsync()
    {
        foreach (var store in _opened)
        {
            switch (store)
            {
                case IAsyncDisposable a:
                    await a.DisposeAsync();
                    break;
                case IDisposable d:
                    d.Dispose();
                    break;
            }
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------

    private static CancellationToken None => CancellationToken.None;

    /// <summary>Each change one second after the previous one, so that "newest" is never a tie.</summary>
    private protected ChangeContext Change(string action) => new(action, _clock += 1000, "organisation", null, "127.0.0.1", "req-" + _clock);

    private long Now => _clock;

    private async Task<long> NewServiceAsync(long grace = 0, long lifetime = 0) =>
        (await Store.CreateServiceAsync(new ServiceContent("""{"serviceName":"s"}""", new ServiceSettings(grace, lifetime)), Change(AuditActions.ServiceCreate), None)).ServiceId;

    private async Task<StoredClient> NewClientAsync(long serviceId, string? alias = null, string? developer = null, string secret = "initial-secret")
    {
        var created = await Store.CreateClientAsync(new NewClient(serviceId, alias, developer, false, """{"clientName":"c"}""", secret), Change(AuditActions.ClientCreate), None);
        Assert.True(created.IsOk(out var client, out var error), error?.Message);
        return client;
    }

    private async Task<SecretRotation> RotateAsync(long serviceId, string identifier, string secret, long? grace = null)
    {
        var rotated = await Store.RotateSecretAsync(new SecretRotationRequest(serviceId, identifier, secret, grace), Change(AuditActions.SecretUpdate), None);
        Assert.True(rotated.IsOk(out var rotation, out var error), error?.Message);
        return rotation;
    }

    [Fact]
    public async Task the_secret_tally_counts_every_clients_secrets_by_status_and_current_ones_by_time_left()
    {
        const long Day = 24 * 60 * 60;
        var expiring = await NewServiceAsync(grace: 3600, lifetime: 2 * Day);
        var forever = await NewServiceAsync(grace: 0, lifetime: 0);
        await NewClientAsync(expiring, alias: "a");
        await RotateAsync(expiring, "a", "a-second");                  // a: current (2 days left) + previous in its grace period
        await NewClientAsync(forever, alias: "b");
        await RotateAsync(forever, "b", "b-second", grace: 0);         // b: current (no expiry) + the old one revoked at once (no grace)
        var c = await NewClientAsync(forever, alias: "c");
        await RotateAsync(forever, "c", "c-second", grace: 3600);
        var previous = (await SecretsAsync(forever, c.ClientId)).Single(x => x.State == SecretPolicy.StatePrevious);
        Assert.True((await Store.RevokeSecretAsync(forever, "c", previous.SecretId, Change(AuditActions.SecretRevoke), None)).IsOk(out _, out var error), error?.Message);

        var tally = await Store.TallySecretsAsync(Now, None);

        Assert.Equal(new SecretTally(Current: 3, Previous: 1, Expired: 0, Revoked: 2, ExpiringIn1Day: 0, ExpiringIn7Days: 1, ExpiringIn30Days: 1), tally);
        // Later: a's previous secret is past its grace period, and its current one has less than a day left.
        Assert.Equal(new SecretTally(3, 0, 1, 2, 1, 1, 1), await Store.TallySecretsAsync(Now + (2 * Day - 3600) * 1000, None));
    }

    private async Task<IReadOnlyList<AuditEvent>> AuditAsync(long? serviceId = null) =>
        (await Store.ListAuditAsync(new AuditQuery(serviceId, null, null, 0, 1000), None)).Items;

    private async Task<IReadOnlyList<StoredSecret>> SecretsAsync(long serviceId, long clientId)
    {
        var listed = await Store.ListSecretsAsync(serviceId, clientId.ToString(), None);
        Assert.True(listed.IsOk(out var secrets, out var error), error?.Message);
        return secrets.Secrets;
    }

    private static void AssertError<T>(Outcome<T> outcome, ResultCode expected)
    {
        Assert.False(outcome.IsOk(out _, out var error));
        Assert.Equal(expected.Code, error.Code.Code);
    }

    // ---- schema -------------------------------------------------------------------------------------

    [Fact]
    public async Task a_database_of_the_earlier_layout_keeps_every_secret_when_the_secrets_move_into_the_client_rows()
    {
        // A database as the release before migration 6 left it: one row per secret in client_secrets.
        await using var database = await CreateDatabaseAsync();
        var cipher = NewCipher();
        var store = (RekeyStore)CreateStore(database, cipher);
        _opened.Add(store);
        var dataKey = cipher.NewDataKey(1);
        cipher.Load([dataKey]);
        const long serviceId = 100_000_001_001, clientId = 100_000_002_002;
        var current = cipher.Seal("current-secret", SecretCipher.AssociatedData(serviceId, clientId, 31));
        var previous = cipher.Seal("previous-secret", SecretCipher.AssociatedData(serviceId, clientId, 21));
        await store.Engine.WriteAsync(async (s, ct) =>
        {
            await s.ExecuteAsync(new Sql("CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)"), ct);
            foreach (var (version, script) in Migrations.For(store.Engine.Dialect.Name).Where(m => m.Version < Migrations.SecretsIntoClients))
            {
                await s.ExecuteAsync(new Sql(script), ct);
                await s.ExecuteAsync(new Sql("INSERT INTO schema_migrations (version, applied_at) VALUES (@v, 0)", SqlArg.Int("v", version)), ct);
            }

            var keys = new KeyChanges { MasterKeys = [new StoredMasterKey("test1", new MasterKey("test1", MasterKeyMaterial).CheckValue, 1, null)], NewDataKeys = [dataKey] };
            foreach (var statement in KeySql.Statements(keys))
            {
                await s.ExecuteAsync(statement, ct);
            }

            await s.ExecuteAsync(new Sql("INSERT INTO services (service_id, document, secret_grace_s, secret_lifetime_s, created_at, modified_at) VALUES (@s, '{}', 3600, 0, 1, 1)",
                SqlArg.Long("s", serviceId)), ct);
            await s.ExecuteAsync(new Sql("""
                INSERT INTO clients (client_id, service_id, alias, developer, locked, document, created_at, modified_at)
                VALUES (@c, @s, 'old', NULL, @l, '{"clientName":"old"}', 1, 1)
                """, SqlArg.Long("c", clientId), SqlArg.Long("s", serviceId), SqlArg.Bool("l", false)), ct);
            foreach (var (id, state, created, validUntil, revokedAt, lastUsed, hint, ciphertext, digest) in new (long, int, long, long?, long?, long?, string?, byte[], byte[])[]
            {
                (31, 0, 300, null, null, 400, "curr", current.Ciphertext, current.Digest),
                (21, 1, 200, long.MaxValue / 2, null, null, "prev", [], previous.Digest),
                (11, 2, 100, null, 150, null, "gone", [], []),
            })
            {
                await s.ExecuteAsync(new Sql("""
                    INSERT INTO client_secrets (secret_id, client_id, state, created_at, expires_at, valid_until, revoked_at, last_used_at, hint, key_id, ciphertext, digest)
                    VALUES (@id, @c, @state, @created, NULL, @until, @revoked, @used, @hint, @k, @ct, @dg)
                    """, SqlArg.Long("id", id), SqlArg.Long("c", clientId), SqlArg.Int("state", state), SqlArg.Long("created", created), SqlArg.Long("until", validUntil),
                    SqlArg.Long("revoked", revokedAt), SqlArg.Long("used", lastUsed), SqlArg.Text("hint", hint), SqlArg.Text("k", dataKey.KeyId),
                    SqlArg.Bytes("ct", ciphertext), SqlArg.Bytes("dg", digest)), ct);
            }

            return true;
        }, None);

        await StartAsync(store, cipher);

        var client = await store.GetClientAsync(serviceId, "old", withSecret: true, None);
        Assert.True(client.IsOk(out var found, out _));
        Assert.Equal("current-secret", found.CurrentSecret);
        Assert.True((await store.ListSecretsAsync(serviceId, "old", None)).IsOk(out var listed, out _));
        Assert.Equal([(31L, 0, (long?)400, "curr"), (21L, 1, null, "prev"), (11L, 2, null, null)],
            listed.Secrets.Select(x => (x.SecretId, x.State, x.LastUsedAt, x.Hint)));
        Assert.True((await store.FindCredentialsAsync(serviceId, "old", None)).IsOk(out var credentials, out _));
        Assert.Equal([31L, 21L], credentials.Secrets.Select(c => c.SecretId));
        var previousCandidate = credentials.Secrets.Single(c => c.SecretId == 21);
        Assert.True(cipher.Matches(previousCandidate.KeyId, previousCandidate.Digest, "previous-secret", SecretCipher.AssociatedData(serviceId, clientId, 21)));

        // The next rotation continues the chain from the migrated current secret.
        var rotated = await store.RotateSecretAsync(new SecretRotationRequest(serviceId, "old", "after-migration", null), Change(AuditActions.SecretUpdate), None);
        Assert.True(rotated.IsOk(out var rotation, out _));
        Assert.Equal("current-secret", rotation.OldSecret);
        Assert.Equal(Migrations.For(store.Engine.Dialect.Name)[^1].Version,
            await store.Engine.ReadAsync(async (s, ct) => (await s.QueryAsync(new Sql("SELECT MAX(version) FROM schema_migrations"), r => r.GetInt64(0), ct))[0], None));

    }

    [Fact]
    public async Task a_database_of_the_earlier_layout_gets_each_clients_audit_trail_chained_deleted_clients_included()
    {
        // A database as the release before migration 8 left it: events found by an index on (service, client, event).
        await using var database = await CreateDatabaseAsync();
        var cipher = NewCipher();
        var store = (RekeyStore)CreateStore(database, cipher);
        _opened.Add(store);
        const long serviceId = 100_000_001_001, live = 100_000_002_002, deleted = 100_000_003_003;
        var ids = new List<long>();
        await store.Engine.WriteAsync(async (s, ct) =>
        {
            await s.ExecuteAsync(new Sql("CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)"), ct);
            foreach (var (version, script) in Migrations.For(store.Engine.Dialect.Name).Where(m => m.Version < 8))
            {
                await s.ExecuteAsync(new Sql(script), ct);
                await s.ExecuteAsync(new Sql("INSERT INTO schema_migrations (version, applied_at) VALUES (@v, 0)", SqlArg.Int("v", version)), ct);
            }

            await s.ExecuteAsync(new Sql("INSERT INTO services (service_id, document, secret_grace_s, secret_lifetime_s, created_at, modified_at) VALUES (@s, '{}', 0, 0, 1, 1)",
                SqlArg.Long("s", serviceId)), ct);
            await s.ExecuteAsync(new Sql("""
                INSERT INTO clients (client_id, service_id, alias, developer, locked, document, created_at, modified_at, secrets)
                VALUES (@c, @s, 'live', NULL, @l, '{"clientName":"live"}', 1, 1, @secrets)
                """, SqlArg.Long("c", live), SqlArg.Long("s", serviceId), SqlArg.Bool("l", false), SqlArg.Bytes("secrets", SecretSetCodec.Encode(SecretSet.Empty))), ct);
            foreach (var clientId in new long?[] { live, deleted, null, live, deleted, live })
            {
                ids.Add((await s.QueryAsync(new Sql("""
                    INSERT INTO audit_events (occurred_at, actor_kind, service_id, client_id, action, outcome) VALUES (1, 'organisation', @s, @c, 'client.update', 'success')
                    RETURNING event_id
                    """, SqlArg.Long("s", serviceId), SqlArg.Long("c", clientId)), Rows.Count, ct)).Single());
            }

            return true;
        }, None);

        await StartAsync(store, cipher);

        async Task<IEnumerable<long>> TrailAsync(long clientId) => (await store.ListAuditAsync(new AuditQuery(serviceId, clientId, null, 0, 100), None)).Items.Select(e => e.EventId);
        Assert.Equal([ids[5], ids[3], ids[0]], await TrailAsync(live));
        Assert.Equal([ids[4], ids[1]], await TrailAsync(deleted));

        // New events continue the migrated chains.
        await store.AppendAuditAsync(new AuditRecord(Change(AuditActions.SecretUpdate), serviceId, live, null, "A000213", "live"), None);
        await store.AppendAuditAsync(new AuditRecord(Change(AuditActions.SecretUpdate), serviceId, deleted, null, "A000213", "gone"), None);
        Assert.True((await store.DeleteClientAsync(serviceId, "live", Change(AuditActions.ClientDelete), None)).IsOk(out _, out _));
        Assert.Equal(5, (await TrailAsync(live)).Count());
        Assert.Equal(3, (await TrailAsync(deleted)).Count());
        await AssertTrailsCompleteAsync(store, live, deleted);
    }

    [Fact]
    public async Task a_database_of_the_earlier_layout_gets_signing_key_schedules_the_replaced_key_published_for_the_longest_token_lifetime()
    {
        // A database as the release before migration 9 left it: the newest key signed, the one before it was published.
        await using var database = await CreateDatabaseAsync();
        var store = (RekeyStore)CreateStore(database, NewCipher());
        _opened.Add(store);
        const long serviceId = 100_000_001_001;
        await store.Engine.WriteAsync(async (s, ct) =>
        {
            await s.ExecuteAsync(new Sql("CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)"), ct);
            foreach (var (version, script) in Migrations.For(store.Engine.Dialect.Name).Where(m => m.Version < 9))
            {
                await s.ExecuteAsync(new Sql(script), ct);
                await s.ExecuteAsync(new Sql("INSERT INTO schema_migrations (version, applied_at) VALUES (@v, 0)", SqlArg.Int("v", version)), ct);
            }

            await s.ExecuteAsync(new Sql("INSERT INTO services (service_id, document, secret_grace_s, secret_lifetime_s, created_at, modified_at) VALUES (@s, '{}', 0, 0, 1, 1)",
                SqlArg.Long("s", serviceId)), ct);
            foreach (var (keyId, createdAt) in new[] { ("old", 1_000L), ("new", 5_000L) })
            {
                await s.ExecuteAsync(new Sql("INSERT INTO signing_keys (key_id, service_id, created_at, public_jwk, data_key_id, ciphertext) VALUES (@k, @s, @t, '{}', 'dk', @ct)",
                    SqlArg.Text("k", keyId), SqlArg.Long("s", serviceId), SqlArg.Long("t", createdAt), SqlArg.Bytes("ct", [1])), ct);
            }

            return true;
        }, None);

        await store.MigrateAsync(None);

        var rows = await store.Engine.ReadAsync<IReadOnlyList<(string, long, long?)>>(async (s, ct) => await s.QueryAsync(
            new Sql("SELECT key_id, activates_at, retires_at FROM signing_keys ORDER BY created_at"), r => (r.GetString(0), r.GetInt64(1), r.IsDBNull(2) ? (long?)null : r.GetInt64(2)), ct), None);
        Assert.Equal([("old", 1_000L, (long?)(5_000L + 604_800_000L + 300_000L)), ("new", 5_000L, null)], rows);
    }

    [Fact]
    public async Task a_signing_key_is_added_on_the_plans_schedule_and_keys_past_retirement_are_deleted_by_the_next_addition()
    {
        var serviceId = await NewServiceAsync();
        ChangeContext At(long at) => new(AuditActions.SigningKeyRotate, at, "organisation", null, null, null);
        NewSigningKey Key(string id) => new(id, $$"""{"kid":"{{id}}"}""", [1, 2, 3]);
        var t0 = Now + 1_000;

        var first = await Store.AddSigningKeyAsync(serviceId, Key("k1"), Rekey.Server.OAuth.SigningKeySchedule.First, At(t0), None);
        var again = await Store.AddSigningKeyAsync(serviceId, Key("k1b"), Rekey.Server.OAuth.SigningKeySchedule.First, At(t0 + 1), None);
        Outcome<Rekey.Server.OAuth.SigningKeyPlan?> Rotation(IReadOnlyList<StoredSigningKey> keys, long at) =>
            Rekey.Server.OAuth.SigningKeySchedule.Rotation(serviceId, keys, at, TimeSpan.FromSeconds(100), 60, TimeSpan.FromSeconds(5));
        var second = await Store.AddSigningKeyAsync(serviceId, Key("k2"), Rotation, At(t0 + 10_000), None);
        var refused = await Store.AddSigningKeyAsync(serviceId, Key("k2b"), Rotation, At(t0 + 20_000), None);

        Assert.Equal(("k1", t0, (long?)null), (first.Value?.KeyId, first.Value?.ActivatesAt ?? 0, first.Value?.RetiresAt));
        Assert.Equal("k1", again.Value?.KeyId); // the service had a key: nothing added
        Assert.Equal(("k2", t0 + 110_000), (second.Value?.KeyId, second.Value?.ActivatesAt ?? 0));
        AssertError(refused, ResultCodes.SigningKeyStillPending);
        var keys = await Store.GetSigningKeysAsync(serviceId, None);
        Assert.Equal([("k2", t0 + 10_000, t0 + 110_000, (long?)null), ("k1", t0, t0, t0 + 110_000 + 65_000)],
            keys.Select(k => (k.KeyId, k.CreatedAt, k.ActivatesAt, k.RetiresAt)));
        Assert.Equal([1, 2, 3], keys[1].PrivateKey);

        // After k1's retirement, the next rotation deletes it; k2 retires on the new key's schedule.
        var third = await Store.AddSigningKeyAsync(serviceId, Key("k3"), Rotation, At(t0 + 175_000), None);
        Assert.True(third.IsOk(out _, out var error), error?.Message);
        Assert.Equal([("k3", (long?)null), ("k2", t0 + 275_000 + 65_000)], (await Store.GetSigningKeysAsync(serviceId, None)).Select(k => (k.KeyId, k.RetiresAt)));
    }

    [Fact]
    public async Task migrate_again_changes_nothing_and_keeps_the_one_data_key()
    {
        var before = await Store.ListDataKeysAsync(None);
        await Store.MigrateAsync(None);
        var other = await OpenAnotherAsync();

        Assert.Single(before);
        Assert.Equal(before, await Store.ListDataKeysAsync(None));
        Assert.Equal(before, await other.ListDataKeysAsync(None));
        Assert.True(await Store.PingAsync(None));
    }

    // ---- services -----------------------------------------------------------------------------------

    [Fact]
    public async Task created_service_is_found_with_random_id_increasing_number_and_change_time()
    {
        var first = await Store.CreateServiceAsync(new ServiceContent("""{"serviceName":"a"}""", new ServiceSettings(0, 0)), Change(AuditActions.ServiceCreate), None);
        var at = Now;
        var second = await Store.CreateServiceAsync(new ServiceContent("""{"serviceName":"b"}""", new ServiceSettings(0, 0)), Change(AuditActions.ServiceCreate), None);

        Assert.InRange(first.ServiceId, 100_000_000_000, (1L << 53) - 1);
        Assert.NotEqual(first.ServiceId, second.ServiceId);
        Assert.True(second.Number > first.Number);
        Assert.Equal(at, first.CreatedAt);
        Assert.Equal(at, first.ModifiedAt);
        Assert.Equal(first, await Store.GetServiceAsync(first.ServiceId, None));
        Assert.Null(await Store.GetServiceAsync(first.ServiceId + 1, None));
    }

    [Fact]
    public async Task services_list_in_creation_order_with_total_and_can_be_limited_to_one()
    {
        var ids = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await NewServiceAsync());
        }

        var page = await Store.ListServicesAsync(null, 1, 3, None);
        var only = await Store.ListServicesAsync(ids[3], 0, 10, None);

        Assert.Equal(5, page.TotalCount);
        Assert.Equal(ids[1..3], page.Items.Select(s => s.ServiceId));
        Assert.Equal(1, only.TotalCount);
        Assert.Equal(ids[3], Assert.Single(only.Items).ServiceId);
    }

    [Fact]
    public async Task service_update_replaces_document_and_settings_and_an_unknown_service_or_a_refusal_writes_nothing()
    {
        var serviceId = await NewServiceAsync();
        StoredService? seen = null;
        var updated = await Store.UpdateServiceAsync(serviceId, stored =>
        {
            seen = stored;
            return new ServiceContent("""{"serviceName":"new"}""", new ServiceSettings(60, 0));
        }, Change(AuditActions.ServiceUpdate), None);
        var at = Now;
        var missing = await Store.UpdateServiceAsync(serviceId + 1, _ => new ServiceContent("{}", new ServiceSettings(0, 0)), Change(AuditActions.ServiceUpdate), None);
        var refused = await Store.UpdateServiceAsync(serviceId, _ => RuleViolation.Of(ResultCodes.InvalidServiceName, 200), Change(AuditActions.ServiceUpdate), None);

        Assert.Equal("""{"serviceName":"s"}""", seen?.Document);
        Assert.True(updated.IsOk(out var service, out _));
        Assert.Equal("""{"serviceName":"new"}""", service.Document);
        Assert.Equal(at, service.ModifiedAt);
        Assert.True(service.CreatedAt < at);
        AssertError(missing, ResultCodes.ServiceNotFound);
        AssertError(refused, ResultCodes.InvalidServiceName);
        Assert.Equal(service, await Store.GetServiceAsync(serviceId, None));
        Assert.Equal([AuditActions.ServiceUpdate, AuditActions.ServiceCreate], (await AuditAsync()).Select(e => e.Action));

        // The grace period took effect: a rotation now keeps the old secret valid for 60 s.
        var client = await NewClientAsync(serviceId);
        await RotateAsync(serviceId, client.ClientId.ToString(), "second");
        var previous = (await SecretsAsync(serviceId, client.ClientId))[1];
        Assert.Equal(SecretPolicy.StatePrevious, previous.State);
        Assert.Equal(Now + 60_000, previous.ValidUntil);
    }

    [Fact]
    public async Task service_delete_removes_its_clients_and_tokens_but_keeps_the_audit_trail()
    {
        var serviceId = await NewServiceAsync();
        var client = await NewClientAsync(serviceId, alias: "gone");
        var token = await Store.CreateApiTokenAsync(serviceId, ["client.read"], null, [1, 2, 3], Change(AuditActions.ApiTokenCreate), None);

        Assert.True(await Store.DeleteServiceAsync(serviceId, Change(AuditActions.ServiceDelete), None));
        Assert.False(await Store.DeleteServiceAsync(serviceId, Change(AuditActions.ServiceDelete), None));

        Assert.Null(await Store.GetServiceAsync(serviceId, None));
        AssertError(await Store.GetClientAsync(serviceId, client.ClientId.ToString(), false, None), ResultCodes.ServiceNotFound);
        AssertError(await Store.FindCredentialsAsync(serviceId, "gone", None), ResultCodes.ClientNotFound);
        Assert.Null(await Store.FindApiTokenAsync([1, 2, 3], None));
        Assert.Equal(0, (await Store.ListApiTokensAsync(0, 10, None)).TotalCount);
        Assert.Equal(
            [AuditActions.ServiceDelete, AuditActions.ApiTokenCreate, AuditActions.ClientCreate, AuditActions.ServiceCreate],
            (await AuditAsync(serviceId)).Select(e => e.Action));
        Assert.Equal(0, (await Store.ListDataKeysAsync(None)).Single().Values);
        Assert.NotEqual(0, token.TokenId);
    }

    // ---- clients ------------------------------------------------------------------------------------

    [Fact]
    public async Task created_client_has_its_secret_and_is_found_by_id_or_alias()
    {
        var serviceId = await NewServiceAsync(lifetime: 3600);
        var client = await NewClientAsync(serviceId, alias: "my-app", developer: "dev1", secret: "s3cret");
        var at = Now;

        Assert.Equal("s3cret", client.CurrentSecret);
        Assert.Equal(at + 3_600_000, client.CurrentSecretExpiresAt);
        Assert.Equal(serviceId, client.ServiceId);
        Assert.Equal("my-app", client.Alias);
        Assert.Equal("dev1", client.Developer);
        Assert.False(client.Locked);
        Assert.Equal(at, client.CreatedAt);
        Assert.InRange(client.ClientId, 100_000_000_000, (1L << 53) - 1);

        var byId = await Store.GetClientAsync(serviceId, client.ClientId.ToString(), withSecret: true, None);
        var byAlias = await Store.GetClientAsync(serviceId, "my-app", withSecret: false, None);
        Assert.True(byId.IsOk(out var foundById, out _));
        Assert.True(byAlias.IsOk(out var foundByAlias, out _));
        Assert.Equal(client, foundById);
        Assert.Equal(client with { CurrentSecret = null }, foundByAlias);
    }

    [Fact]
    public async Task client_lookups_name_the_missing_service_or_client()
    {
        var serviceId = await NewServiceAsync();
        var other = await NewServiceAsync();
        var client = await NewClientAsync(other, alias: "elsewhere");

        AssertError(await Store.GetClientAsync(serviceId, client.ClientId.ToString(), false, None), ResultCodes.ClientNotFound);
        AssertError(await Store.GetClientAsync(serviceId, "elsewhere", false, None), ResultCodes.ClientNotFound);
        AssertError(await Store.GetClientAsync(serviceId + 1, "x", false, None), ResultCodes.ServiceNotFound);
        AssertError(await Store.GetClientAsync(serviceId, "with\0nul", false, None), ResultCodes.ClientNotFound);
        AssertError(await Store.ListClientsAsync(serviceId + 1, null, 0, 10, false, None), ResultCodes.ServiceNotFound);
        AssertError(await Store.ListSecretsAsync(serviceId, client.ClientId.ToString(), None), ResultCodes.ClientNotFound);
    }

    [Fact]
    public async Task client_in_unknown_service_is_refused_and_nothing_is_written()
    {
        var before = await AuditAsync();

        var created = await Store.CreateClientAsync(new NewClient(424242424242, null, null, false, "{}", "x"), Change(AuditActions.ClientCreate), None);

        AssertError(created, ResultCodes.ServiceNotFound);
        Assert.Equal(before, await AuditAsync());
    }

    [Fact]
    public async Task alias_taken_in_the_service_is_A120203_but_free_in_another_service()
    {
        var serviceId = await NewServiceAsync();
        var other = await NewServiceAsync();
        await NewClientAsync(serviceId, alias: "app");
        var audit = await AuditAsync();

        var taken = await Store.CreateClientAsync(new NewClient(serviceId, "app", null, false, "{}", "x"), Change(AuditActions.ClientCreate), None);

        AssertError(taken, ResultCodes.ClientIdAliasInUse);
        Assert.Equal(audit, await AuditAsync());
        Assert.Equal(1, (await Store.ListClientsAsync(serviceId, null, 0, 10, false, None)).Value?.TotalCount);
        Assert.Equal("app", (await NewClientAsync(other, alias: "app")).Alias);
    }

    [Fact]
    public async Task alias_equal_to_another_clients_id_is_A120204()
    {
        var serviceId = await NewServiceAsync();
        var first = await NewClientAsync(serviceId);

        var created = await Store.CreateClientAsync(new NewClient(serviceId, first.ClientId.ToString(), null, false, "{}", "x"), Change(AuditActions.ClientCreate), None);

        AssertError(created, ResultCodes.ClientIdAliasIsClientId);
    }

    [Fact]
    public async Task concurrent_creates_with_one_alias_give_one_client_and_A120203_for_the_others()
    {
        var serviceId = await NewServiceAsync();
        var other = await OpenAnotherAsync();
        var changes = Enumerable.Range(0, 8).Select(_ => Change(AuditActions.ClientCreate)).ToList();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var creates = changes.Select((change, i) => Task.Run(async () =>
        {
            await start.Task;
            var store = i % 2 == 0 ? Store : other;
            return await store.CreateClientAsync(new NewClient(serviceId, "contested", null, false, "{}", "s" + i), change, None);
        })).ToList();
        start.SetResult();
        var outcomes = await Task.WhenAll(creates);

        Assert.Single(outcomes, o => o.Value is not null);
        Assert.All(outcomes.Where(o => o.Value is null), o => Assert.Equal(ResultCodes.ClientIdAliasInUse.Code, o.Error?.Code.Code));
        Assert.Equal(1, (await Store.ListClientsAsync(serviceId, null, 0, 10, false, None)).Value?.TotalCount);
        Assert.Single(await AuditAsync(serviceId), e => e.Action == AuditActions.ClientCreate);
    }

    [Fact]
    public async Task clients_list_in_creation_order_filtered_by_developer_with_total()
    {
        var serviceId = await NewServiceAsync();
        var ids = new List<long>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add((await NewClientAsync(serviceId, developer: i % 2 == 0 ? "even" : "odd", secret: "secret" + i)).ClientId);
        }

        var all = (await Store.ListClientsAsync(serviceId, null, 1, 4, withSecret: true, None)).Value;
        var even = (await Store.ListClientsAsync(serviceId, "even", 0, 10, withSecret: false, None)).Value;
        var nul = (await Store.ListClientsAsync(serviceId, "ev\0en", 0, 10, withSecret: false, None)).Value;

        Assert.NotNull(all);
        Assert.Equal(6, all.TotalCount);
        Assert.Equal(ids[1..4], all.Items.Select(c => c.ClientId));
        Assert.Equal(["secret1", "secret2", "secret3"], all.Items.Select(c => c.CurrentSecret));
        Assert.NotNull(even);
        Assert.Equal(3, even.TotalCount);
        Assert.Equal([ids[0], ids[2], ids[4]], even.Items.Select(c => c.ClientId));
        Assert.All(even.Items, c => Assert.Null(c.CurrentSecret));
        Assert.NotNull(nul);
        Assert.Equal(0, nul.TotalCount);
    }

    [Fact]
    public async Task client_update_replaces_alias_developer_and_document_and_keeps_the_secret()
    {
        var serviceId = await NewServiceAsync();
        var client = await NewClientAsync(serviceId, alias: "old", developer: "d1", secret: "kept");

        var updated = await Store.UpdateClientAsync(new ClientUpdate(serviceId, client.ClientId, "new", null, """{"clientName":"renamed"}"""), Change(AuditActions.ClientUpdate), None);

        Assert.True(updated.IsOk(out var after, out _));
        Assert.Equal("new", after.Alias);
        Assert.Null(after.Developer);
        Assert.Equal("""{"clientName":"renamed"}""", after.Document);
        Assert.Equal("kept", after.CurrentSecret);
        Assert.Equal(Now, after.ModifiedAt);
        AssertError(await Store.GetClientAsync(serviceId, "old", false, None), ResultCodes.ClientNotFound);
        Assert.True((await Store.GetClientAsync(serviceId, "new", false, None)).IsOk(out _, out _));
    }

    [Fact]
    public async Task client_update_to_a_taken_alias_is_refused_and_changes_nothing()
    {
        var serviceId = await NewServiceAsync();
        await NewClientAsync(serviceId, alias: "taken");
        var client = await NewClientAsync(serviceId, alias: "mine");
        var audit = await AuditAsync();

        var updated = await Store.UpdateClientAsync(new ClientUpdate(serviceId, client.ClientId, "taken", "dev", "{}"), Change(AuditActions.ClientUpdate), None);
        var unknown = await Store.UpdateClientAsync(new ClientUpdate(serviceId, client.ClientId + 1, null, null, "{}"), Change(AuditActions.ClientUpdate), None);

        AssertError(updated, ResultCodes.ClientIdAliasInUse);
        AssertError(unknown, ResultCodes.ClientNotFound);
        Assert.Equal(audit, await AuditAsync());
        Assert.True((await Store.GetClientAsync(serviceId, client.ClientId.ToString(), false, None)).IsOk(out var unchanged, out _));
        Assert.Equal(client with { CurrentSecret = null }, unchanged);
    }

    [Fact]
    public async Task client_delete_and_lock_work_by_alias_and_report_the_client_id()
    {
        var serviceId = await NewServiceAsync();
        var client = await NewClientAsync(serviceId, alias: "lockme");

        var locked = await Store.SetClientLockAsync(serviceId, "lockme", true, Change(AuditActions.ClientLock), None);
        Assert.Equal(client.ClientId, locked.Value);
        Assert.True((await Store.GetClientAsync(serviceId, "lockme", false, None)).Value?.Locked);
        Assert.True((await Store.FindCredentialsAsync(serviceId, "lockme", None)).Value?.Locked);

        var deleted = await Store.DeleteClientAsync(serviceId, "lockme", Change(AuditActions.ClientDelete), None);
        Assert.Equal(client.ClientId, deleted.Value);
        AssertError(await Store.DeleteClientAsync(serviceId, "lockme", Change(AuditActions.ClientDelete), None), ResultCodes.ClientNotFound);
        AssertError(await Store.SetClientLockAsync(serviceId, "lockme", false, Change(AuditActions.ClientUnlock), None), ResultCodes.ClientNotFound);
        Assert.Equal([AuditActions.ClientDelete, AuditActions.ClientLock, AuditActions.ClientCreate], (await AuditAsync(serviceId)).Select(e => e.Action).Take(3));
        Assert.All((await AuditAsync(serviceId)).Take(3), e => Assert.Equal(client.ClientId, e.ClientId));
    }

    // ---- secrets ------------------------------------------------------------------------------------

    [Fact]
    public async Task rotation_without_grace_returns_old_and_new_and_revokes_the_old_one()
    {
        var serviceId = await NewServiceAsync();
        var client = await NewClientAsync(serviceId, alias: "rot", secret: "one");

        var rotation = await RotateAsync(serviceId, "rot", "two");
        var secrets = await SecretsAsync(serviceId, client.ClientId);

        Assert.Equal("one", rotation.OldSecret);
        Assert.Equal("two", rotation.NewSecret);
        Assert.Equal(client.ClientId, rotation.ClientId);
        Assert.Equal("two", (await Store.GetClientAsync(serviceId, "rot", true, None)).Value?.CurrentSecret);
        Assert.Equal(2, secrets.Count);
        Assert.Equal((rotation.NewSecretId, SecretPolicy.StateCurrent), (secrets[0].SecretId, secrets[0].State));
        Assert.Equal(SecretPolicy.StateRevoked, secrets[1].State);
        Assert.Equal(Now, secrets[1].RevokedAt);
        Assert.Null(secrets[1].ValidUntil);
    }

    [Fact]
    public async Task rotation_with_grace_keeps_the_old_secret_valid_until_the_grace_ends_and_a_call_can_override_it()
    {
        var serviceId = await NewServiceAsync(grace: 300);
        var client = await NewClientAsync(serviceId, secret: "one");
        var id = client.ClientId.ToString();

        await RotateAsync(serviceId, id, "two");
        var graceEnd = Now + 300_000;
        await RotateAsync(serviceId, id, "three", grace: 0);
        var revokedAt = Now;
        await RotateAsync(serviceId, id, "four", grace: 10);
        var secrets = await SecretsAsync(serviceId, client.ClientId);

        Assert.Equal([SecretPolicy.StateCurrent, SecretPolicy.StatePrevious, SecretPolicy.StateRevoked, SecretPolicy.StatePrevious], secrets.Select(s => s.State));
        Assert.Equal(Now + 10_000, secrets[1].ValidUntil);
        Assert.Equal(revokedAt, secrets[2].RevokedAt);
        Assert.Equal(graceEnd, secrets[3].ValidUntil);

        var credentials = (await Store.FindCredentialsAsync(serviceId, id, None)).Value;
        Assert.NotNull(credentials);
        Assert.Equal(new[] { secrets[0].SecretId, secrets[1].SecretId, secrets[3].SecretId }.Order(), credentials.Secrets.Select(s => s.SecretId).Order());
    }

    [Fact]
    public async Task at_most_five_previous_secrets_stay_valid_and_ten_old_ones_are_kept()
    {
        var serviceId = await NewServiceAsync(grace: 3600);
        var client = await NewClientAsync(serviceId, secret: "s0");
        var id = client.ClientId.ToString();
        var rotations = new List<SecretRotation>();
        for (var i = 1; i <= 14; i++)
        {
            rotations.Add(await RotateAsync(serviceId, id, "s" + i));
        }

        var secrets = await SecretsAsync(serviceId, client.ClientId);

        // current + 5 valid previous + the newest invalid ones up to 10 non-current in all.
        Assert.Equal(1 + SecretPolicy.KeptPerClient, secrets.Count);
        Assert.Equal(rotations[^1].NewSecretId, secrets[0].SecretId);
        Assert.Equal(SecretPolicy.StateCurrent, secrets[0].State);
        Assert.Equal(Enumerable.Repeat(SecretPolicy.StatePrevious, SecretPolicy.MaxValidPrevious), secrets.Skip(1).Take(SecretPolicy.MaxValidPrevious).Select(s => s.State));
        Assert.All(secrets.Skip(1 + SecretPolicy.MaxValidPrevious), s => Assert.Equal(SecretPolicy.StateRevoked, s.State));
        Assert.Equal(rotations[^2].NewSecretId, secrets[1].SecretId);
        Assert.Equal(rotations[^11].NewSecretId, secrets[^1].SecretId);
        Assert.Equal(1 + SecretPolicy.MaxValidPrevious, (await Store.FindCredentialsAsync(serviceId, id, None)).Value?.Secrets.Count);
    }

    [Fact]
    public async Task secret_lifetime_sets_expiry_and_the_list_shows_hints_only_for_long_secrets()
    {
        var serviceId = await NewServiceAsync(lifetime: 60);
        var longSecret = new string('L', 40);
        var client = await NewClientAsync(serviceId, secret: "short");
        await RotateAsync(serviceId, client.ClientId.ToString(), longSecret);

        var secrets = await SecretsAsync(serviceId, client.ClientId);

        Assert.Equal(Now + 60_000, secrets[0].ExpiresAt);
        Assert.Equal(Now, secrets[0].CreatedAt);
        Assert.Equal("LLLL", secrets[0].Hint);
        Assert.Null(secrets[1].Hint);
        Assert.Equal(Now + 60_000, (await Store.GetClientAsync(serviceId, client.ClientId.ToString(), false, None)).Value?.CurrentSecretExpiresAt);
    }

    [Fact]
    public async Task rotation_of_unknown_client_is_refused_without_audit()
    {
        var serviceId = await NewServiceAsync();
        var audit = await AuditAsync();

        var rotated = await Store.RotateSecretAsync(new SecretRotationRequest(serviceId, "nobody", "x", null), Change(AuditActions.SecretUpdate), None);
        var noService = await Store.RotateSecretAsync(new SecretRotationRequest(serviceId + 1, "nobody", "x", null), Change(AuditActions.SecretUpdate), None);

        AssertError(rotated, ResultCodes.ClientNotFound);
        AssertError(noService, ResultCodes.ServiceNotFound);
        Assert.Equal(audit, await AuditAsync());
    }

    [Fact]
    public async Task concurrent_rotations_of_one_client_form_a_single_chain()
    {
        var serviceId = await NewServiceAsync(grace: 60);
        var client = await NewClientAsync(serviceId, secret: "start");
        var other = await OpenAnotherAsync();
        var pairs = new ConcurrentBag<(string? Old, string New)>();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(caller => Task.Run(async () =>
        {
            for (var i = 0; i < 12; i++)
            {
                var store = (caller + i) % 2 == 0 ? Store : other;
                var secret = $"c{caller}-{i}";
                var rotated = await store.RotateSecretAsync(new SecretRotationRequest(serviceId, client.ClientId.ToString(), secret, null),
                    new ChangeContext(AuditActions.SecretUpdate, 1_800_000_000_000 + (caller * 100) + i, "organisation", null, null, null), None);
                Assert.True(rotated.IsOk(out var rotation, out var error), error?.Message);
                pairs.Add((rotation.OldSecret, rotation.NewSecret));
            }
        })));

        var final = (await Store.GetClientAsync(serviceId, client.ClientId.ToString(), true, None)).Value?.CurrentSecret;
        ChainAssert.SingleChain("start", final, pairs.ToList());
        Assert.Equal(96, (await AuditAsync(serviceId)).Count(e => e.Action == AuditActions.SecretUpdate));
    }

    [Fact]
    public async Task revoking_a_previous_secret_works_once_and_the_current_one_cannot_be_revoked()
    {
        var serviceId = await NewServiceAsync(grace: 600);
        var client = await NewClientAsync(serviceId, alias: "rv", secret: "one");
        var rotation = await RotateAsync(serviceId, "rv", "two");
        var previousId = (await SecretsAsync(serviceId, client.ClientId))[1].SecretId;

        var revoked = await Store.RevokeSecretAsync(serviceId, "rv", previousId, Change(AuditActions.SecretRevoke), None);
        var revokedAt = Now;
        var again = await Store.RevokeSecretAsync(serviceId, "rv", previousId, Change(AuditActions.SecretRevoke), None);
        var audit = await AuditAsync(serviceId);
        var current = await Store.RevokeSecretAsync(serviceId, "rv", rotation.NewSecretId, Change(AuditActions.SecretRevoke), None);
        var unknown = await Store.RevokeSecretAsync(serviceId, "rv", 123, Change(AuditActions.SecretRevoke), None);
        var noClient = await Store.RevokeSecretAsync(serviceId, "none", previousId, Change(AuditActions.SecretRevoke), None);

        Assert.Equal(client.ClientId, revoked.Value);
        Assert.Equal(client.ClientId, again.Value);
        AssertError(current, ResultCodes.CannotRevokeCurrentSecret);
        AssertError(unknown, ResultCodes.SecretNotFound);
        AssertError(noClient, ResultCodes.ClientNotFound);
        Assert.Equal(audit, await AuditAsync(serviceId));
        var secrets = await SecretsAsync(serviceId, client.ClientId);
        Assert.Equal(SecretPolicy.StateRevoked, secrets[1].State);
        Assert.Equal(revokedAt, secrets[1].RevokedAt);
        Assert.Equal(SecretPolicy.StateCurrent, secrets[0].State);
        Assert.Equal([rotation.NewSecretId], (await Store.FindCredentialsAsync(serviceId, "rv", None)).Value?.Secrets.Select(s => s.SecretId));
        Assert.Equal(previousId, audit[0].SecretId);
    }

    [Fact]
    public async Task credentials_carry_digests_that_verify_the_secret_and_nothing_else()
    {
        var serviceId = await NewServiceAsync(grace: 600);
        var client = await NewClientAsync(serviceId, alias: "cred", secret: "old-secret");
        await RotateAsync(serviceId, "cred", "new-secret");
        var byAlias = (await Store.FindCredentialsAsync(serviceId, "cred", None)).Value;
        var byId = (await Store.FindCredentialsAsync(serviceId, client.ClientId.ToString(), None)).Value;

        Assert.NotNull(byAlias);
        Assert.Equal(byAlias.ClientId, byId?.ClientId);
        Assert.Equal((serviceId, client.ClientId, "cred", false), (byAlias.ServiceId, byAlias.ClientId, byAlias.Alias, byAlias.Locked));
        Assert.Equal(2, byAlias.Secrets.Count);
        Assert.All(byAlias.Secrets, s => Assert.True(s.IsValidAt(Now)));
        var current = Assert.Single(byAlias.Secrets, s => s.State == SecretPolicy.StateCurrent);
        var previous = Assert.Single(byAlias.Secrets, s => s.State == SecretPolicy.StatePrevious);
        var currentRow = SecretCipher.AssociatedData(serviceId, client.ClientId, current.SecretId);
        var previousRow = SecretCipher.AssociatedData(serviceId, client.ClientId, previous.SecretId);
        Assert.True(_cipher.Matches(current.KeyId, current.Digest, "new-secret", currentRow));
        Assert.True(_cipher.Matches(previous.KeyId, previous.Digest, "old-secret", previousRow));
        Assert.False(_cipher.Matches(current.KeyId, current.Digest, "old-secret", currentRow));
        Assert.False(_cipher.Matches(previous.KeyId, previous.Digest, "new-secret", previousRow));
        Assert.False(_cipher.Matches(current.KeyId, current.Digest, "new-secret", previousRow));
        AssertError(await Store.FindCredentialsAsync(serviceId, "nobody", None), ResultCodes.ClientNotFound);
        AssertError(await Store.FindCredentialsAsync(serviceId + 1, "cred", None), ResultCodes.ClientNotFound);
    }

    [Fact]
    public async Task recorded_use_keeps_the_latest_time_and_ignores_unknown_ids()
    {
        var serviceId = await NewServiceAsync();
        var client = await NewClientAsync(serviceId);
        var secretId = (await SecretsAsync(serviceId, client.ClientId))[0].SecretId;

        await Store.RecordSecretUseAsync([new SecretUse(client.ClientId, secretId, 5000L), new SecretUse(client.ClientId, 999L, 1L), new SecretUse(1, 2, 3)], None);
        await Store.RecordSecretUseAsync([new SecretUse(client.ClientId, secretId, 4000L)], None);

        Assert.Equal(5000, (await SecretsAsync(serviceId, client.ClientId))[0].LastUsedAt);
    }

    // ---- API tokens ---------------------------------------------------------------------------------

    [Fact]
    public async Task api_tokens_are_found_by_hash_listed_and_deleted_with_audit()
    {
        var serviceId = await NewServiceAsync();
        var first = await Store.CreateApiTokenAsync(serviceId, ["client.read", "client.write"], "ci", [9, 9], Change(AuditActions.ApiTokenCreate), None);
        var createdAt = Now;
        var second = await Store.CreateApiTokenAsync(serviceId, [], null, [8, 8], Change(AuditActions.ApiTokenCreate), None);

        var found = await Store.FindApiTokenAsync([9, 9], None);
        Assert.NotNull(found);
        Assert.Equal((first.TokenId, first.ServiceId, first.Description, first.CreatedAt), (found.TokenId, found.ServiceId, found.Description, found.CreatedAt));
        Assert.Equal(["client.read", "client.write"], first.Permissions);
        Assert.Equal(["client.read", "client.write"], found.Permissions);
        Assert.Equal(("ci", createdAt, serviceId), (first.Description, first.CreatedAt, first.ServiceId));
        Assert.Empty(second.Permissions);
        Assert.Null(await Store.FindApiTokenAsync([7], None));
        var list = await Store.ListApiTokensAsync(0, 10, None);
        Assert.Equal(2, list.TotalCount);
        Assert.Equal([first.TokenId, second.TokenId], list.Items.Select(t => t.TokenId));

        Assert.True(await Store.DeleteApiTokenAsync(first.TokenId, Change(AuditActions.ApiTokenDelete), None));
        Assert.False(await Store.DeleteApiTokenAsync(first.TokenId, Change(AuditActions.ApiTokenDelete), None));
        Assert.Null(await Store.FindApiTokenAsync([9, 9], None));
        var audit = await AuditAsync(serviceId);
        Assert.Equal([AuditActions.ApiTokenDelete, AuditActions.ApiTokenCreate, AuditActions.ApiTokenCreate], audit.Take(3).Select(e => e.Action));
        Assert.Equal(first.TokenId.ToString(), audit[0].Target);
        Assert.Equal(second.TokenId.ToString(), audit[1].Target);
    }

    // ---- audit --------------------------------------------------------------------------------------

    [Fact]
    public async Task every_change_writes_one_audit_event_with_who_what_and_when()
    {
        var serviceId = await NewServiceAsync();
        var client = await NewClientAsync(serviceId);
        var change = new ChangeContext(AuditActions.SecretUpdate, 1_750_000_000_000, "service", 77, "10.1.2.3", "req-xyz");
        var rotated = await Store.RotateSecretAsync(new SecretRotationRequest(serviceId, client.ClientId.ToString(), "n", null), change, None);

        var events = await AuditAsync(serviceId);

        Assert.Equal(3, events.Count);
        var e = events[0];
        Assert.Equal(
            (1_750_000_000_000L, "service", (long?)77, "10.1.2.3", "req-xyz", (long?)serviceId, (long?)client.ClientId, AuditActions.SecretUpdate, rotated.Value?.NewSecretId, "success", (string?)null),
            (e.OccurredAt, e.ActorKind, e.ActorTokenId, e.RemoteAddress, e.RequestId, e.ServiceId, e.ClientId, e.Action, e.SecretId, e.Outcome, e.Target));
        Assert.True(events[0].EventId > events[1].EventId && events[1].EventId > events[2].EventId);
        Assert.Equal((await SecretsAsync(serviceId, client.ClientId))[1].SecretId, events[1].SecretId);
    }

    [Fact]
    public async Task appended_refusals_are_listed_and_filters_page_newest_first()
    {
        var serviceId = await NewServiceAsync();
        var client = await NewClientAsync(serviceId);
        await RotateAsync(serviceId, client.ClientId.ToString(), "x");
        await Store.AppendAuditAsync(new AuditRecord(Change(AuditActions.SecretUpdate), serviceId, null, null, "A000211", "nobody\0"), None);
        var other = await NewServiceAsync();

        var all = await Store.ListAuditAsync(new AuditQuery(null, null, null, 0, 100), None);
        var mine = await Store.ListAuditAsync(new AuditQuery(serviceId, null, null, 0, 100), None);
        var byClient = await Store.ListAuditAsync(new AuditQuery(serviceId, client.ClientId, null, 0, 100), None);
        var updates = await Store.ListAuditAsync(new AuditQuery(serviceId, null, AuditActions.SecretUpdate, 1, 2), None);

        Assert.Equal(5, all.TotalCount);
        Assert.Equal(other, all.Items[0].ServiceId);
        Assert.Equal(4, mine.TotalCount);
        Assert.Equal(2, byClient.TotalCount);
        Assert.Equal(2, updates.TotalCount);
        var refusal = (await Store.ListAuditAsync(new AuditQuery(serviceId, null, AuditActions.SecretUpdate, 0, 1), None)).Items.Single();
        Assert.Equal("A000211", refusal.Outcome);
        Assert.StartsWith("nobody", refusal.Target);
        Assert.Equal("success", Assert.Single(updates.Items).Outcome);
    }

    /// <summary>
    /// The audit list of each client (the chain of its events) holds exactly the events that name it, newest first:
    /// what a full list shows for it, in every page.
    /// </summary>
    private static async Task AssertTrailsCompleteAsync(IRekeyStore store, params long[] clientIds)
    {
        var all = (await store.ListAuditAsync(new AuditQuery(null, null, null, 0, 100_000), None)).Items;
        foreach (var clientId in clientIds)
        {
            var expected = all.Where(e => e.ClientId == clientId).Select(e => e.EventId).ToList();
            var trail = await store.ListAuditAsync(new AuditQuery(null, clientId, null, 0, 100_000), None);
            Assert.Equal(expected, trail.Items.Select(e => e.EventId));
            Assert.Equal(expected.Count, trail.TotalCount);
            var page = await store.ListAuditAsync(new AuditQuery(null, clientId, null, 1, 3), None);
            Assert.Equal(expected.Skip(1).Take(2), page.Items.Select(e => e.EventId));
        }
    }

    [Fact]
    public async Task a_clients_audit_trail_holds_every_event_naming_it_through_its_changes_its_refusals_and_its_deletion()
    {
        var serviceId = await NewServiceAsync();
        var kept = await NewClientAsync(serviceId, alias: "kept");
        var gone = await NewClientAsync(serviceId, alias: "gone");
        var other = await NewServiceAsync();
        var elsewhere = await NewClientAsync(other, alias: "elsewhere");
        await RotateAsync(serviceId, "kept", "k1");
        await RotateAsync(serviceId, "gone", "g1");
        Assert.True((await Store.RevokeSecretAsync(serviceId, "kept", (await SecretsAsync(serviceId, kept.ClientId))[1].SecretId, Change(AuditActions.SecretRevoke), None)).IsOk(out _, out _));
        Assert.True((await Store.SetClientLockAsync(serviceId, "gone", true, Change(AuditActions.ClientLock), None)).IsOk(out _, out _));
        await Store.AppendAuditAsync(new AuditRecord(Change(AuditActions.SecretUpdate), serviceId, kept.ClientId, null, "A000213", "kept"), None);
        Assert.True((await Store.UpdateClientAsync(new ClientUpdate(serviceId, kept.ClientId, "kept", null, """{"clientName":"k"}"""), Change(AuditActions.ClientUpdate), None)).IsOk(out _, out _));
        Assert.True((await Store.DeleteClientAsync(serviceId, "gone", Change(AuditActions.ClientDelete), None)).IsOk(out _, out _));
        // A refusal that found the client just before it was deleted still joins its trail.
        await Store.AppendAuditAsync(new AuditRecord(Change(AuditActions.SecretUpdate), serviceId, gone.ClientId, null, "A000213", "gone"), None);
        await RotateAsync(other, "elsewhere", "e1");
        Assert.True(await Store.DeleteServiceAsync(other, Change(AuditActions.ServiceDelete), None));

        await AssertTrailsCompleteAsync(Store, kept.ClientId, gone.ClientId, elsewhere.ClientId);
        Assert.Equal(
            [AuditActions.ClientUpdate, AuditActions.SecretUpdate, AuditActions.SecretRevoke, AuditActions.SecretUpdate, AuditActions.ClientCreate],
            (await Store.ListAuditAsync(new AuditQuery(serviceId, kept.ClientId, null, 0, 100), None)).Items.Select(e => e.Action));
        Assert.Equal(
            [AuditActions.SecretUpdate, AuditActions.ClientDelete, AuditActions.ClientLock, AuditActions.SecretUpdate, AuditActions.ClientCreate],
            (await Store.ListAuditAsync(new AuditQuery(null, gone.ClientId, null, 0, 100), None)).Items.Select(e => e.Action));
        Assert.Equal(2, (await Store.ListAuditAsync(new AuditQuery(null, elsewhere.ClientId, null, 0, 100), None)).TotalCount);
        var refusals = await Store.ListAuditAsync(new AuditQuery(serviceId, kept.ClientId, AuditActions.SecretUpdate, 0, 100), None);
        Assert.Equal(["A000213", "success"], refusals.Items.Select(e => e.Outcome));
        Assert.Empty((await Store.ListAuditAsync(new AuditQuery(other, kept.ClientId, null, 0, 100), None)).Items);
        Assert.Empty((await Store.ListAuditAsync(new AuditQuery(null, 123_456_789, null, 0, 100), None)).Items);

        // The IDs of deleted clients, alone or with their service, are never drawn for a new client.
        var engine = ((RekeyStore)Store).Engine;
        var taken = new SqlText(engine.Dialect).ClientIdTaken;
        foreach (var id in new[] { gone.ClientId, elsewhere.ClientId })
        {
            Assert.Equal(1, await engine.ReadAsync(async (s, ct) =>
                (await s.QueryAsync(new Sql(taken, SqlArg.Text("text", id.ToString()), SqlArg.Long("id", id)), Rows.Count, ct)).Single(), None));
        }
    }

    [Fact]
    public async Task concurrent_changes_and_refusals_of_one_client_on_two_nodes_all_join_its_trail()
    {
        var serviceId = await NewServiceAsync();
        var client = await NewClientAsync(serviceId, alias: "busy");
        var second = await OpenAnotherAsync();
        var work = Enumerable.Range(0, 24).Select(i => (i % 4) switch
        {
            0 => Store.RotateSecretAsync(new SecretRotationRequest(serviceId, "busy", "a" + i, null), Change(AuditActions.SecretUpdate), None),
            1 => second.RotateSecretAsync(new SecretRotationRequest(serviceId, "busy", "b" + i, null), Change(AuditActions.SecretUpdate), None),
            2 => Store.AppendAuditAsync(new AuditRecord(Change(AuditActions.SecretUpdate), serviceId, client.ClientId, null, "A000213", "busy"), None),
            _ => second.AppendAuditAsync(new AuditRecord(Change(AuditActions.SecretUpdate), serviceId, client.ClientId, null, "A000213", "busy"), None),
        });

        await Task.WhenAll(work);

        await AssertTrailsCompleteAsync(Store, client.ClientId);
        Assert.Equal(25, (await second.ListAuditAsync(new AuditQuery(serviceId, client.ClientId, null, 0, 100), None)).TotalCount);
    }

    // ---- data keys ----------------------------------------------------------------------------------

    [Fact]
    public async Task a_new_data_key_becomes_current_and_reencryption_moves_every_value_which_still_opens()
    {
        var serviceId = await NewServiceAsync(grace: 600);
        var clients = new List<StoredClient>();
        for (var i = 0; i < 7; i++)
        {
            clients.Add(await NewClientAsync(serviceId, secret: "before" + i));
        }

        await RotateAsync(serviceId, clients[0].ClientId.ToString(), "rotated0");
        var oldKey = Assert.Single(await Store.ListDataKeysAsync(None));
        // Sealed values are the current secrets only: a demoted secret keeps its digest, not its ciphertext.
        Assert.Equal(7, oldKey.Values);

        Assert.True((await Keys(Store, _cipher).NewDataKeyAsync(Change(AuditActions.KeyRotate), None)).IsOk(out var newKeyId, out _));
        var afterAdd = await Store.ListDataKeysAsync(None);
        Assert.Equal([newKeyId, oldKey.KeyId], afterAdd.Select(k => k.KeyId));
        Assert.True(afterAdd[0].CreatedAt > oldKey.CreatedAt);

        // Written after the rotation: sealed under the new key already.
        await RotateAsync(serviceId, clients[1].ClientId.ToString(), "rotated1");
        Assert.Equal([1L, 6L], (await Store.ListDataKeysAsync(None)).Select(k => k.Values));

        var batches = new List<int>();
        int done;
        while ((done = await Store.ReencryptBatchAsync(3, None)) > 0)
        {
            batches.Add(done);
        }

        Assert.Equal([3, 3], batches);
        Assert.Equal([7L, 0L], (await Store.ListDataKeysAsync(None)).Select(k => k.Values));
        var listed = (await Store.ListClientsAsync(serviceId, null, 0, 10, withSecret: true, None)).Value;
        Assert.NotNull(listed);
        Assert.Equal(["rotated0", "rotated1", "before2", "before3", "before4", "before5", "before6"], listed.Items.Select(c => c.CurrentSecret));
        var audit = await AuditAsync();
        Assert.Equal(newKeyId, Assert.Single(audit, e => e.Action == AuditActions.KeyRotate).Target);

        // A restarted node (fresh cipher) opens everything. The previous secret's digest stays under the key it was
        // made with (data keys are never deleted), so it still verifies; only the current secret moved.
        var restarted = await OpenAnotherAsync();
        Assert.Equal("rotated0", (await restarted.GetClientAsync(serviceId, clients[0].ClientId.ToString(), true, None)).Value?.CurrentSecret);
        var credentials = (await restarted.FindCredentialsAsync(serviceId, clients[0].ClientId.ToString(), None)).Value;
        Assert.NotNull(credentials);
        Assert.Equal(newKeyId, Assert.Single(credentials.Secrets, s => s.State == SecretPolicy.StateCurrent).KeyId);
        var previous = Assert.Single(credentials.Secrets, s => s.State == SecretPolicy.StatePrevious);
        Assert.Equal(oldKey.KeyId, previous.KeyId);
        Assert.True(_cipher.Matches(previous.KeyId, previous.Digest, "before0", SecretCipher.AssociatedData(serviceId, clients[0].ClientId, previous.SecretId)));
    }
}

public sealed class SqliteStoreContractTests : StoreContractSuite
{
    private protected override Task<TestStore> CreateDatabaseAsync() => Task.FromResult<TestStore>(new SqliteTestStore());

    private protected override IRekeyStore CreateStore(TestStore database, SecretCipher cipher) =>
        RekeyStore.Sqlite($"Data Source={((SqliteTestStore)database).DatabasePath}", "FULL", cipher, TimeProvider.System);
}

[RequiresPostgres]
public sealed class PostgresStoreContractTests : StoreContractSuite
{
    private protected override async Task<TestStore> CreateDatabaseAsync() => await PostgresTestStore.CreateAsync();

    private protected override IRekeyStore CreateStore(TestStore database, SecretCipher cipher) =>
        RekeyStore.Postgres(((PostgresTestStore)database).ConnectionString, cipher);
}
