using Microsoft.Data.Sqlite;
using Rekey.Cli;
using Rekey.Contracts;

namespace Rekey.Sdk.Tests.Cli;

/// <summary>
/// Control characters in what the tool prints (issue #11): values from the server or the command line are escaped, so
/// a hostile client name cannot forge a table row or clear the screen. The server will refuse such names on create,
/// so the hostile values are written straight into the test server's SQLite database, as an older server or a
/// tampered database would hold them.
/// </summary>
public sealed class CliControlCharacterTests(SqliteServerFixture fixture) : CliTestBase(fixture)
{
    private const string HostileName = "evil\u001b[31mRED\u001b[0m\nfake row";
    private const string HostileNameShown = @"evil\u001b[31mRED\u001b[0m\nfake row";

    [Fact]
    public async Task a_client_name_with_escape_sequences_and_a_newline_forges_no_row_in_client_list()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId, """{"clientName":"test client","clientIdAlias":"hostile"}""");
        await SetClientFieldAsync(client, "clientName", HostileName);
        await SetClientFieldAsync(client, "developer", "\u202Egnp.exe");

        var run = await RunAsync(Env(serviceId), null, "client", "list");

        Assert.True(run.ExitCode == 0, run.ToString());
        AssertNoControlCharacters(run.Out);
        Assert.Equal(3, Lines(run.Out).Length);          // header, the one client, "1 of 1 clients"
        var row = Assert.Single(run.Table("CLIENT ID", "ALIAS", "NAME", "TYPE", "LOCKED", "DEVELOPER"));
        Assert.Equal(HostileNameShown, row["NAME"]);
        Assert.Equal(@"\u202egnp.exe", row["DEVELOPER"]);
        Assert.Equal("1 of 1 clients (start 0, end 5)", Lines(run.Out)[2]);
    }

    [Fact]
    public async Task a_client_name_with_escape_sequences_stays_on_its_line_in_client_get()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId, """{"clientName":"test client","clientIdAlias":"hostile"}""");
        await SetClientFieldAsync(client, "clientName", HostileName);
        var hostile = await RunAsync(Env(serviceId), null, "client", "get", "hostile");
        await SetClientFieldAsync(client, "clientName", "plain");
        var plain = await RunAsync(Env(serviceId), null, "client", "get", "hostile");

        Assert.True(hostile.ExitCode == 0, hostile.ToString());
        AssertNoControlCharacters(hostile.Out);
        Assert.Equal(Lines(plain.Out).Length, Lines(hostile.Out).Length);
        Assert.Equal(HostileNameShown, hostile.Field("clientName"));
    }

    [Fact]
    public async Task the_json_output_of_a_hostile_name_has_no_raw_control_character_and_the_exact_value()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId, """{"clientName":"test client","clientIdAlias":"hostile"}""");
        await SetClientFieldAsync(client, "clientName", HostileName);

        var run = await RunAsync(Env(serviceId), null, "--json", "client", "get", "hostile");

        Assert.True(run.ExitCode == 0, run.ToString());
        AssertNoControlCharacters(run.Out);
        Assert.Single(Lines(run.Out));
        Assert.Equal(HostileName, run.Json(RekeyJsonContext.Default.ClientDocument).ClientName);
    }

    [Fact]
    public async Task an_audit_target_that_clears_the_screen_is_shown_escaped_on_one_row()
    {
        var serviceId = await Admin.CreateServiceAsync();
        await InsertAuditEventAsync(serviceId, AuditActions.SecretRevoke, "A151202", "billing\u001b[2J\u001b[H\r\nforged");

        var run = await RunAsync(Env(serviceId), null, "audit", "--action", AuditActions.SecretRevoke);

        Assert.True(run.ExitCode == 0, run.ToString());
        AssertNoControlCharacters(run.Out);
        Assert.Equal(3, Lines(run.Out).Length);          // header, the one event, "1 of 1 audit events"
        var row = Assert.Single(run.Table("EVENT ID", "TIME", "ACTION", "OUTCOME", "SERVICE ID", "CLIENT ID", "SECRET ID", "ACTOR", "ADDRESS", "TARGET"));
        Assert.Equal(@"billing\u001b[2J\u001b[H\r\nforged", row["TARGET"]);
    }

    [Fact]
    public async Task a_server_message_that_echoes_a_hostile_identifier_is_one_escaped_line()
    {
        var serviceId = await Admin.CreateServiceAsync();

        var run = await RunAsync(Env(serviceId), null, "client", "get", "ghost\u001b[2J\nerror: forged");

        Assert.Equal(ExitCodes.Refused, run.ExitCode);
        AssertNoControlCharacters(run.Err);
        var line = Assert.Single(Lines(run.Err));
        Assert.StartsWith("error: A000211 ", line, StringComparison.Ordinal);
        Assert.Contains(@"ghost\u001b[2J\nerror: forged", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("audit", "--client", "1\u001b[2J\nerror: forged")]
    [InlineData("client", "get", "x", "--service", "1\u001b]0;title\u0007")]
    [InlineData("client", "frobnicate\u001b[2J", "x\u009b2J")]
    public async Task a_usage_error_that_quotes_hostile_arguments_prints_them_escaped(params string[] args)
    {
        var run = await RekeyAsync(args);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        AssertNoControlCharacters(run.Err);
        Assert.All(Lines(run.Err), line => Assert.Matches("^(error: usage |Run ')", line));
    }

    [Fact]
    public async Task every_control_c1_and_bidi_override_character_is_escaped_and_other_text_is_left_alone()
    {
        var unsafeChars = Enumerable.Range(0, 0x20).Concat(Enumerable.Range(0x7f, 0x21)).Concat(Enumerable.Range(0x202a, 5))
            .Concat(Enumerable.Range(0x2066, 4)).Concat([0x2028, 0x2029]).Select(i => (char)i).ToArray();
        const string Harmless = "é名😀\u200f\\u001b";
        var name = "<" + new string(unsafeChars) + Harmless + ">";
        var expected = "<" + string.Concat(unsafeChars.Select(c => c switch
        {
            '\n' => @"\n",
            '\r' => @"\r",
            '\t' => @"\t",
            _ => $"\\u{(int)c:x4}",
        })) + Harmless + ">";
        var body = System.Text.Json.JsonSerializer.Serialize(new ClientDocument { ClientId = 7, ClientName = name }, RekeyJsonContext.Default.ClientDocument);
        await using var stub = await StubServer.StartAsync(200, body);

        var run = await RunAsync(EnvFor(stub), null, "client", "get", "7");

        Assert.True(run.ExitCode == 0, run.ToString());
        AssertNoControlCharacters(run.Out);
        Assert.Equal(expected, run.Field("clientName"));
    }

    [Theory]
    [InlineData("{\"clientId\":7,\r\n\t\"clientName\":\"a\u009b2J\u202eb\u007f\u2028c\"}")]
    [InlineData("{\"clientId\":7,\r\n\t\"clientName\":\"a\u009b2J\u202eb\u007f\u2028c\",\"clientSecret\":\"withheld\"}")]
    public async Task json_output_of_an_answer_with_raw_control_characters_is_escaped_and_means_the_same(string body)
    {
        // Valid JSON the Rekey server would never send (it escapes them): C1, bidi, DEL and U+2028 raw inside a string,
        // CR, LF and tab as whitespace. The second body has a secret to withhold, so it is re-serialised.
        await using var stub = await StubServer.StartAsync(200, body);

        var run = await RunAsync(EnvFor(stub), null, "--json", "client", "get", "7");

        Assert.True(run.ExitCode == 0, run.ToString());
        AssertNoControlCharacters(run.Out);
        Assert.Single(Lines(run.Out));
        var client = run.Json(RekeyJsonContext.Default.ClientDocument);
        Assert.Equal("a\u009b2J\u202eb\u007f\u2028c", client.ClientName);
        Assert.Null(client.ClientSecret);
    }

    /// <summary>Lines as a terminal would show them: split at LF, without the empty rest after the final newline.</summary>
    private static string[] Lines(string text) => text.Split('\n')[..^1];

    private static void AssertNoControlCharacters(string text)
    {
        // Every line ends in \n (the writers' NewLine); nothing else from C0, DEL, C1, the bidi controls or U+2028/9.
        var found = text.Where(c => c != '\n' && (char.IsControl(c) || c is >= '\u202a' and <= '\u202e' or >= '\u2066' and <= '\u2069' or '\u2028' or '\u2029'));
        Assert.True(!found.Any(), "raw control characters: " + string.Join(", ", found.Select(c => $"U+{(int)c:X4}")) + "\n" + text);
    }

    private async Task SetClientFieldAsync(TestClient client, string property, string value) =>
        await ExecuteAsync("UPDATE clients SET document = json_set(document, '$.' || $property, $value) WHERE client_id = $clientId",
            ("$property", property), ("$value", value), ("$clientId", client.ClientId));

    private async Task InsertAuditEventAsync(long serviceId, string action, string outcome, string target) =>
        await ExecuteAsync(
            "INSERT INTO audit_events (occurred_at, actor_kind, service_id, action, outcome, target) VALUES ($now, 'organisation', $serviceId, $action, $outcome, $target)",
            ("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), ("$serviceId", serviceId), ("$action", action), ("$outcome", outcome), ("$target", target));

    /// <summary>One statement on the running server's database file, which must change exactly one row.</summary>
    private async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        var store = Assert.IsType<SqliteTestStore>(Host.Store);
        var connectionString = new SqliteConnectionStringBuilder { DataSource = store.DatabasePath, Pooling = false, DefaultTimeout = 30 }.ToString();
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }
}
