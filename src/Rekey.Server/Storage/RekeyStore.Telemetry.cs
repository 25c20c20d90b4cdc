using System.Diagnostics;
using System.Runtime.CompilerServices;
using Rekey.Server.Telemetry;

namespace Rekey.Server.Storage;

internal sealed partial class RekeyStore
{
    /// <summary>Spans of store units of work: one per unit, named after the store operation, tagged with the engine.</summary>
    public const string ActivitySourceName = "Rekey.Storage";

    private static readonly ActivitySource Units = new(ActivitySourceName);

    /// <summary>The engine's name in tags (<c>db.system.name</c> of OpenTelemetry's database conventions).</summary>
    private string EngineName => _engine.Dialect == Dialect.Postgres ? "postgresql" : "sqlite";

    private static bool Observing => Units.HasListeners() || RekeyMetrics.UnitDuration.Enabled;

    private Task<T> ReadUnitAsync<T>(Func<IStoreSession, CancellationToken, ValueTask<T>> read, CancellationToken ct, [CallerMemberName] string operation = "") =>
        Observing ? ObserveAsync(() => _engine.ReadAsync(read, ct), operation) : _engine.ReadAsync(read, ct);

    /// <summary>
    /// A change. What it reached (<see cref="DeferChanged"/>) is announced through <see cref="Changed"/> once the unit
    /// has ended, however it ended: forgetting too much is harmless, serving a change's old state is not.
    /// </summary>
    private async Task<T> WriteUnitAsync<T>(Func<IStoreSession, CancellationToken, ValueTask<T>> write, CancellationToken ct, [CallerMemberName] string operation = "")
    {
        var reached = new HashSet<ChangeScope>();
        Func<IStoreSession, CancellationToken, ValueTask<T>> tracked = (s, ct) => write(new ChangeTracking(s, reached), ct);
        try
        {
            return await (Observing ? ObserveAsync(() => _engine.WriteAsync(tracked, ct), operation) : _engine.WriteAsync(tracked, ct));
        }
        finally
        {
            if (reached.Count > 0 && Changed is { } changed)
            {
                foreach (var scope in reached)
                {
                    changed(scope);
                }
            }
        }
    }

    /// <summary>
    /// One attempt of a write unit's session (an engine may run a unit again), collecting what the unit's changes reach:
    /// in this attempt (each scope told once per transaction) and in all of them (forgotten locally once it ends).
    /// </summary>
    private sealed class ChangeTracking(IStoreSession inner, HashSet<ChangeScope> reached) : IStoreSession
    {
        private readonly HashSet<ChangeScope> _attempt = [];

        /// <summary>True the first time this attempt names <paramref name="scope"/>.</summary>
        public bool Reach(ChangeScope scope)
        {
            reached.Add(scope);
            return _attempt.Add(scope);
        }

        public Dialect Dialect => inner.Dialect;

        public Guid? CommitKeyForAudit() => inner.CommitKeyForAudit();

        public void Lock(Sql sql) => inner.Lock(sql);

        public ValueTask<List<T>> QueryAsync<T>(Sql sql, Func<System.Data.Common.DbDataReader, T> map, CancellationToken ct) => inner.QueryAsync(sql, map, ct);

        public ValueTask<int> ExecuteAsync(Sql sql, CancellationToken ct) => inner.ExecuteAsync(sql, ct);

        public void Defer(Sql sql) => inner.Defer(sql);
    }

    /// <summary>
    /// A span and a duration around one unit, only while someone listens (an exporter is configured): otherwise the
    /// engine's own task, no wrapper, no allocation. Tags name the operation (a method of this class: a fixed, small
    /// set) and the engine; nothing about the data. The span is current while the unit runs, so the database client's
    /// own spans (Npgsql) are its children.
    /// </summary>
    private async Task<T> ObserveAsync<T>(Func<Task<T>> unit, string operation)
    {
        var started = Stopwatch.GetTimestamp();
        using var activity = Units.StartActivity(operation.EndsWith("Async", StringComparison.Ordinal) ? operation[..^5] : operation, ActivityKind.Internal);
        activity?.SetTag("db.system.name", EngineName);
        activity?.SetTag("rekey.store.operation", operation);
        try
        {
            return await unit();
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            throw;
        }
        finally
        {
            if (RekeyMetrics.UnitDuration.Enabled)
            {
                RekeyMetrics.UnitDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds,
                    new KeyValuePair<string, object?>("rekey.store.engine", EngineName), new KeyValuePair<string, object?>("rekey.store.operation", operation));
            }
        }
    }
}
