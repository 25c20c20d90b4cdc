namespace Rekey.Server.Storage;

internal sealed partial class RekeyStore
{
    private static SqlArg[] ServiceArgs(long id, ServiceContent content, long now) =>
    [
        SqlArg.Long("id", id), SqlArg.Text("doc", content.Document), SqlArg.Long("grace", content.Settings.GracePeriodSeconds),
        SqlArg.Long("life", content.Settings.SecretLifetimeSeconds), SqlArg.Text("warn", content.Settings.ExpiryWarnings), SqlArg.Text("fmt", content.Settings.SecretFormat),
        SqlArg.Text("leak", content.Settings.LeakResponse), SqlArg.Long("now", now),
    ];

    public Task<StoredService> CreateServiceAsync(ServiceContent content, ChangeContext change, CancellationToken ct) =>
        WriteUnitAsync(async (s, ct) =>
        {
            var (id, service) = await InsertWithNewIdAsync(s, id => new Sql(_sql.InsertService, ServiceArgs(id, content, change.At)), Rows.Service, ct);
            DeferAudit(s, change, id, null, null);
            return service;
        }, ct);

    public Task<StoredService?> GetServiceAsync(long serviceId, CancellationToken ct) =>
        ReadUnitAsync(async (s, ct) => (await s.QueryAsync(new Sql(_sql.ServiceById, SqlArg.Long("id", serviceId)), Rows.Service, ct)).SingleOrDefault(), ct);

    public Task<Page<StoredService>> ListServicesAsync(long? onlyServiceId, int start, int end, CancellationToken ct) =>
        ReadUnitAsync(async (s, ct) =>
        {
            var total = await CountAsync(s, new Sql(_sql.CountServices, SqlArg.Long("only", onlyServiceId)), ct);
            var items = await s.QueryAsync(new Sql(_sql.PageServices, SqlArg.Long("only", onlyServiceId), SqlArg.Int("limit", end - start), SqlArg.Int("offset", start)), Rows.Service, ct);
            return new Page<StoredService>(items, (int)total);
        }, ct);

    public Task<Outcome<StoredService>> UpdateServiceAsync(long serviceId, Func<StoredService, Outcome<ServiceContent>> update, ChangeContext change, CancellationToken ct) =>
        WriteUnitAsync<Outcome<StoredService>>(async (s, ct) =>
        {
            // Read under the row lock (PostgreSQL) or in the single writer (SQLite): nothing changes it before the write.
            if ((await s.QueryAsync(new Sql(_sql.ServiceByIdForUpdate, SqlArg.Long("id", serviceId)), Rows.Service, ct)) is not [var stored])
            {
                return StoreRules.ServiceNotFound(serviceId);
            }

            if (!update(stored).IsOk(out var content, out var error))
            {
                return error;
            }

            if ((await s.QueryAsync(new Sql(_sql.ServiceWarnings, SqlArg.Long("id", serviceId)), r => Rows.Text(r, 0), ct)).Single() != content.Settings.ExpiryWarnings)
            {
                await s.ExecuteAsync(new Sql(_sql.ResweepServiceClients, SqlArg.Long("now", change.At), SqlArg.Long("id", serviceId)), ct);
            }
            var service = (await s.QueryAsync(new Sql(_sql.UpdateService, ServiceArgs(serviceId, content, change.At)), Rows.Service, ct)).Single();
            DeferAudit(s, change, serviceId, null, null);
            return service;
        }, ct);

    public Task<bool> DeleteServiceAsync(long serviceId, ChangeContext change, CancellationToken ct) =>
        WriteUnitAsync(async (s, ct) =>
        {
            // The service's row locked first (no client can be created in it meanwhile), then its clients as they are
            // once the changes in flight have committed: each keeps its ID taken and its trail's head.
            if ((await s.QueryAsync(new Sql(_sql.ServiceByIdForUpdate, SqlArg.Long("id", serviceId)), Rows.Service, ct)).Count == 0)
            {
                return false;
            }

            await s.ExecuteAsync(new Sql(_sql.KeepDeletedClientsOfService, SqlArg.Long("id", serviceId)), ct);
            await s.ExecuteAsync(new Sql(_sql.DeleteServiceUses, SqlArg.Long("id", serviceId)), ct);
            await s.ExecuteAsync(new Sql(_sql.DeleteService, SqlArg.Long("id", serviceId)), ct);
            DeferAudit(s, change, serviceId, null, null);
            return true;
        }, ct);
}
