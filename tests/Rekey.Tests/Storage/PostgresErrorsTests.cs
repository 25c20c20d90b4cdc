using System.Net.Sockets;
using Npgsql;
using Rekey.Server.Storage.Postgres;

namespace Rekey.Tests.Storage;

/// <summary>Which PostgreSQL failures are a 503 (and which also clear the pool), which are retried, which are bugs.</summary>
public sealed class PostgresErrorsTests
{
    private static PostgresException Server(string sqlState, string severity = "ERROR") => new("message", severity, severity, sqlState);

    [Theory]
    [InlineData("57P01", true, true)]   // admin_shutdown: pg_ctl stop -m fast
    [InlineData("57P02", true, true)]   // crash_shutdown
    [InlineData("57P03", true, true)]   // cannot_connect_now: starting up or shutting down
    [InlineData("08006", true, true)]   // connection_failure
    [InlineData("08001", true, true)]   // unable to establish
    [InlineData("53300", true, true)]   // too_many_connections
    [InlineData("53100", true, false)]  // disk_full
    [InlineData("53200", true, false)]  // out_of_memory
    [InlineData("58030", true, false)]  // io_error
    [InlineData("57014", true, false)]  // query_canceled (statement_timeout)
    [InlineData("55P03", true, false)]  // lock_not_available (lock_timeout)
    [InlineData("25006", true, true)]   // read_only_sql_transaction: reached a standby after a failover
    [InlineData("40P01", true, false)]  // deadlock: retried, 503 when it keeps happening
    [InlineData("40001", true, false)]  // serialization_failure
    [InlineData("23505", false, false)] // unique_violation: an outcome or a bug, never "unavailable"
    [InlineData("42P01", false, false)] // undefined_table: a bug
    [InlineData("22021", false, false)] // bad text: a bug
    public void server_errors_are_classified_by_sqlstate(string sqlState, bool unavailable, bool connectionLoss)
    {
        var error = Server(sqlState);

        Assert.Equal(unavailable, PostgresErrors.IsUnavailable(error));
        Assert.Equal(connectionLoss, PostgresErrors.IsConnectionLoss(error));
        Assert.Equal(sqlState is "40P01" or "40001", PostgresErrors.IsConflict(error));
    }

    [Fact]
    public void a_refused_or_broken_connection_is_unavailable_and_clears_the_pool()
    {
        var refused = new NpgsqlException("Failed to connect to 127.0.0.1:1", new SocketException((int)SocketError.ConnectionRefused));
        var broken = new NpgsqlException("Exception while reading from stream", new EndOfStreamException());
        var timeout = new NpgsqlException("The connection pool has been exhausted", new TimeoutException());

        Assert.All([refused, broken, timeout], e => Assert.True(PostgresErrors.IsUnavailable(e) && PostgresErrors.IsConnectionLoss(e)));
    }

    [Fact]
    public void programming_errors_are_not_unavailability()
    {
        Assert.False(PostgresErrors.IsUnavailable(new InvalidOperationException()));
        Assert.False(PostgresErrors.IsUnavailable(new NpgsqlException("bug")));
        Assert.False(PostgresErrors.IsConnectionLoss(new NpgsqlException("bug")));
    }

    [Fact]
    public void a_deadlock_is_a_conflict_that_runs_again_and_a_unique_violation_is_not()
    {
        var deadlock = new PostgresException("deadlock", "ERROR", "ERROR", "40P01");
        var duplicate = new PostgresException("dup", "ERROR", "ERROR", PostgresErrorCodes.UniqueViolation, constraintName: "clients_client_id_key");

        Assert.True(PostgresErrors.IsConflict(deadlock) && PostgresErrors.IsUnavailable(deadlock));
        Assert.False(PostgresErrors.IsConnectionLoss(deadlock));
        Assert.False(PostgresErrors.IsConflict(duplicate) || PostgresErrors.IsUnavailable(duplicate));
    }

    [Fact]
    public void only_a_unique_violation_of_the_alias_index_means_the_alias_is_taken()
    {
        var alias = new PostgresException("dup", "ERROR", "ERROR", PostgresErrorCodes.UniqueViolation, constraintName: "ux_clients_alias");
        var other = new PostgresException("dup", "ERROR", "ERROR", PostgresErrorCodes.UniqueViolation, constraintName: "clients_client_id_key");

        Assert.True(PostgresErrors.IsAliasTaken(alias));
        Assert.False(PostgresErrors.IsAliasTaken(other));
    }
}
