using System.Text.Json;
using System.Text.RegularExpressions;
using Rekey.Cli;
using Rekey.Contracts;

namespace Rekey.Sdk.Tests.Cli;

/// <summary>
/// <c>rekey secret check</c> (offline: no server, no token), <c>secret leak</c> and <c>secret format</c> (issue #18).
/// The value checked or reported is never printed.
/// </summary>
public sealed class CliLeakTests(SqliteServerFixture fixture) : CliTestBase(fixture)
{
    /// <summary>No server, no token: what <c>secret check</c> needs.</summary>
    private static Dictionary<string, string?> Offline() => new() { ["REKEY_URL"] = $"http://127.0.0.1:{Ports.Unused()}" };

    private static string Changed(string secret, int position) =>
        secret[..position] + (secret[position] == 'A' ? 'B' : 'A') + secret[(position + 1)..];

    // ---- secret check ------------------------------------------------------------------------------

    [Fact]
    public async Task check_says_a_generated_secret_is_well_formed_without_printing_it()
    {
        var secret = IdentifiableSecret.Generate();

        var run = await RunAsync(Offline(), secret + "\n", "secret", "check");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Equal("yes", run.Field("valid"));
        Assert.Equal("None", run.Field("problem"));
        Assert.Equal(IdentifiableSecret.Describe(IdentifiableSecretProblem.None), run.Field("description"));
        Assert.Equal("rks_", run.Field("prefix"));
        Assert.Equal("", run.Err);
        Assert.DoesNotContain(secret[4..], run.Out, StringComparison.Ordinal);
    }

    /// <summary>A well-formed secret, fixed so that the theory's cases are the same at discovery and at run time.</summary>
    private const string Golden = "rks_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg0JFFaL";

    public static TheoryData<string, IdentifiableSecretProblem> Malformed => new()
    {
        { Changed(Golden, 20), IdentifiableSecretProblem.WrongChecksum },
        { Changed(Golden, 50), IdentifiableSecretProblem.WrongChecksum },
        { Golden[..52], IdentifiableSecretProblem.WrongLength },
        { "rkz_" + Golden[4..], IdentifiableSecretProblem.WrongPrefix },
        { Golden[..20] + "-" + Golden[21..], IdentifiableSecretProblem.IllegalCharacter },
        { "Authlete-style_" + new string('x', 71), IdentifiableSecretProblem.WrongPrefix },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task check_of_a_malformed_value_exits_1_and_says_why_without_printing_it(string value, IdentifiableSecretProblem problem)
    {
        var run = await RunAsync(Offline(), value + "\n", "secret", "check");

        Assert.True(run.ExitCode == ExitCodes.Refused, run.ToString());
        Assert.Equal("no", run.Field("valid"));
        Assert.Equal(problem.ToString(), run.Field("problem"));
        Assert.Equal(IdentifiableSecret.Describe(problem), run.Field("description"));
        Assert.DoesNotContain(value[5..], run.Out + run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task check_reads_a_secret_file_and_takes_another_prefix()
    {
        var secret = IdentifiableSecret.Generate("acme-");
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(path, secret + "\r\n");

            var acme = await RunAsync(Offline(), null, "secret", "check", "--secret-file", path, "--prefix", "acme-");
            var rks = await RunAsync(Offline(), null, "secret", "check", "--secret-file", path);

            Assert.True(acme.ExitCode == ExitCodes.Success, acme.ToString());
            Assert.Equal("acme-", acme.Field("prefix"));
            Assert.Equal(ExitCodes.Refused, rks.ExitCode);
            Assert.Equal("WrongPrefix", rks.Field("problem"));
            Assert.Equal("it does not start with 'rks_'", rks.Field("description"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task check_asks_once_without_echo_on_a_terminal()
    {
        var secret = IdentifiableSecret.Generate();
        var terminal = new ScriptedTerminal(secret);

        var run = await RunAsync(Offline(), null, terminal, "secret", "check");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Equal("Value to check (not shown): ", Assert.Single(terminal.Prompts));
        Assert.DoesNotContain(secret[4..], run.Out + run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task check_with_json_prints_one_object_for_scripts()
    {
        var secret = Changed(IdentifiableSecret.Generate(), 30);

        var run = await RunAsync(Offline(), secret + "\n", "secret", "check", "--json");

        Assert.Equal(ExitCodes.Refused, run.ExitCode);
        using var json = JsonDocument.Parse(run.Out);
        Assert.False(json.RootElement.GetProperty("valid").GetBoolean());
        Assert.Equal("WrongChecksum", json.RootElement.GetProperty("problem").GetString());
        Assert.Equal(IdentifiableSecret.Describe(IdentifiableSecretProblem.WrongChecksum), json.RootElement.GetProperty("description").GetString());
        Assert.Equal("rks_", json.RootElement.GetProperty("prefix").GetString());
        Assert.DoesNotContain(secret[4..], run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task check_with_yaml_prints_the_same_object()
    {
        var run = await RunAsync(Offline(), IdentifiableSecret.Generate() + "\n", "secret", "check", "-o", "yaml");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Contains("\"valid\": true\n", run.Out, StringComparison.Ordinal);
        Assert.Contains("\"problem\": \"None\"\n", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task check_on_the_command_line_works_but_warns_about_shell_history()
    {
        var run = await RunAsync(Offline(), null, "secret", "check", "--secret", IdentifiableSecret.Generate());

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Contains("warning: --secret puts the secret in your shell history", run.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("rks")]
    [InlineData("-x_")]
    [InlineData("rk.s_")]
    [InlineData("abcdefghijklmnopqrstuvwxy_")]
    public async Task check_with_an_invalid_prefix_is_a_usage_error(string prefix)
    {
        var run = await RunAsync(Offline(), IdentifiableSecret.Generate() + "\n", "secret", "check", "--prefix", prefix);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Equal("", run.Out);
        Assert.StartsWith($"error: usage --prefix '{prefix}' is not a secret prefix", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task check_with_nothing_on_standard_input_is_a_usage_error()
    {
        var run = await RunAsync(Offline(), null, "secret", "check");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.StartsWith("error: usage no secret on standard input", run.Err, StringComparison.Ordinal);
    }

    // ---- secret leak and format against a stub -----------------------------------------------------

    private const string ActedOn = """
        {"resultCode":"A152001","resultMessage":"[A152001] The value is a secret of 1 client(s); the service's leak response was applied.",
        "matches":[{"serviceId":1,"clientId":4242,"secretId":77,"status":"current","response":"REVOKE","replacementSecretId":78,"clientLocked":true}]}
        """;

    [Fact]
    public async Task leak_posts_to_the_service_and_prints_what_was_done_never_the_value()
    {
        await using var stub = await StubServer.StartAsync(200, ActedOn);
        var secret = TestApi.NewSecret();

        var run = await RunAsync(EnvFor(stub), secret + "\n", "secret", "leak", "--found-at", "https://example.com/paste/1", "--yes");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Equal("/api/1/client/secret/leak", Assert.Single(stub.Paths));
        Assert.Equal("A152001", run.Field("resultCode"));
        var row = Assert.Single(run.Table("SERVICE ID", "CLIENT ID", "SECRET ID", "STATUS", "RESPONSE", "REPLACEMENT ID", "CLIENT LOCKED"));
        Assert.Equal("4242", row["CLIENT ID"]);
        Assert.Equal("77", row["SECRET ID"]);
        Assert.Equal("current", row["STATUS"]);
        Assert.Equal("REVOKE", row["RESPONSE"]);
        Assert.Equal("78", row["REPLACEMENT ID"]);
        Assert.Equal("yes", row["CLIENT LOCKED"]);
        Assert.DoesNotContain(secret, run.Out + run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task leak_with_all_services_posts_to_the_organisation_route_and_ignores_the_service()
    {
        await using var stub = await StubServer.StartAsync(200, """{"resultCode":"A152003","resultMessage":"[A152003] none"}""");

        var run = await RunAsync(EnvFor(stub), TestApi.NewSecret() + "\n", "secret", "leak", "--all-services", "--yes");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Equal("/api/client/secret/leak", Assert.Single(stub.Paths));
        Assert.Equal("A152003", run.Field("resultCode"));
        Assert.DoesNotContain("SERVICE ID", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task leak_without_a_terminal_needs_yes_and_sends_nothing()
    {
        await using var stub = await StubServer.StartAsync(200, ActedOn);

        var run = await RunAsync(EnvFor(stub), TestApi.NewSecret() + "\n", "secret", "leak");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("pass --yes to confirm", run.Err, StringComparison.Ordinal);
        Assert.Empty(stub.Paths);
    }

    [Theory]
    [InlineData("y", true)]
    [InlineData("n", false)]
    public async Task leak_on_a_terminal_asks_for_the_value_then_for_confirmation(string answer, bool sent)
    {
        await using var stub = await StubServer.StartAsync(200, ActedOn);
        var secret = TestApi.NewSecret();
        var terminal = new ScriptedTerminal(secret, answer);

        var run = await RunAsync(EnvFor(stub), null, terminal, "secret", "leak");

        Assert.Equal(
            [
                "Leaked value (not shown): ",
                "This reports the value as leaked to service 1: a live secret it matches gets the service's leakResponse " +
                "(by default it is revoked or replaced, and its client locked). Continue? [y/N] ",
            ],
            terminal.Prompts);
        Assert.Equal(sent ? ExitCodes.Success : ExitCodes.Usage, run.ExitCode);
        Assert.Equal(sent ? 1 : 0, stub.Paths.Count);
        Assert.DoesNotContain(secret, run.Out + run.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("has space", "A149205")]
    [InlineData("", "A149203")]
    public async Task leak_of_a_value_that_breaks_the_secret_rules_exits_2_and_sends_nothing(string value, string code)
    {
        await using var stub = await StubServer.StartAsync(200, ActedOn);

        var run = await RunAsync(EnvFor(stub), value + "\n", "secret", "leak", "--yes");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.StartsWith($"error: {code} ", run.Err, StringComparison.Ordinal);
        Assert.Empty(stub.Paths);
    }

    [Fact]
    public async Task leak_without_a_service_is_a_usage_error_before_the_value_is_read()
    {
        var env = Env();
        var terminal = new ScriptedTerminal(TestApi.NewSecret());

        var run = await RunAsync(env, null, terminal, "secret", "leak", "--yes");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.StartsWith("error: usage no service", run.Err, StringComparison.Ordinal);
        Assert.Empty(terminal.Prompts);
    }

    [Fact]
    public async Task leak_answered_A000104_says_to_read_the_audit_trail_back()
    {
        var message = ResultCodes.StoreOutcomeUnknown.Format("0HNAB12CD34EF:00000001");
        await using var stub = await StubServer.StartAsync(503, $$"""{"resultCode":"A000104","resultMessage":"{{message}}"}""");

        var run = await RunAsync(EnvFor(stub), TestApi.NewSecret() + "\n", "secret", "leak", "--yes");

        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.Contains("Read back the audit trail (rekey audit --action client.secret.leak) before retrying.", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task format_prints_the_served_format()
    {
        var body = JsonSerializer.Serialize(new SecretFormatResponse
        {
            ResultCode = "A153001",
            ResultMessage = "[A153001] Secrets in the IDENTIFIABLE format of this deployment start with 'rks_'.",
            Format = "IDENTIFIABLE",
            Prefix = "rks_",
            Length = 53,
            Regex = IdentifiableSecret.Pattern(),
            PlainRegex = IdentifiableSecret.PlainPattern(),
            Checksum = "CRC32",
            TokenType = "rekey_client_secret",
        }, RekeyJsonContext.Default.SecretFormatResponse);
        await using var stub = await StubServer.StartAsync(200, body);

        var run = await RunAsync(EnvFor(stub), null, "secret", "format");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Equal("/api/secret-format", Assert.Single(stub.Paths));
        Assert.Equal("rks_", run.Field("prefix"));
        Assert.Equal("53", run.Field("length"));
        Assert.Equal(IdentifiableSecret.Pattern(), run.Field("regex"));
        Assert.Equal(IdentifiableSecret.PlainPattern(), run.Field("plainRegex"));
    }

    // ---- against the server (issue #18 endpoints) --------------------------------------------------

    [Fact]
    public async Task leak_of_a_live_secret_replaces_it_and_locks_the_client()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId, """{"clientName":"leaky","clientIdAlias":"leaky"}""");
        var env = Env(serviceId);

        var run = await RunAsync(env, client.Secret + "\n", "secret", "leak", "--found-at", "https://github.com/acme/app/blob/main/.env", "--yes");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Equal("A152001", run.Field("resultCode"));
        var row = Assert.Single(run.Table("SERVICE ID", "CLIENT ID", "SECRET ID", "STATUS", "RESPONSE", "REPLACEMENT ID", "CLIENT LOCKED"));
        Assert.Equal(client.Id, row["CLIENT ID"]);
        Assert.Equal("current", row["STATUS"]);
        Assert.Equal("REVOKE", row["RESPONSE"]);
        Assert.Equal("yes", row["CLIENT LOCKED"]);
        Assert.DoesNotContain(client.Secret, run.Out + run.Err, StringComparison.Ordinal);
        Assert.Equal("yes", (await RunAsync(env, null, "client", "get", "leaky")).Field("locked"));

        var again = await RunAsync(env, client.Secret + "\n", "secret", "leak", "--yes");
        Assert.Equal("A152003", again.Field("resultCode"));
    }

    [Fact]
    public async Task leak_with_a_bad_found_at_url_exits_1()
    {
        var serviceId = await Admin.CreateServiceAsync();

        var run = await RunAsync(Env(serviceId), TestApi.NewSecret() + "\n", "secret", "leak", "--found-at", "https://example.com/\u0007", "--yes");

        Assert.Equal(ExitCodes.Refused, run.ExitCode);
        Assert.StartsWith("error: A152201 ", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task format_from_the_server_checks_the_secrets_of_an_identifiable_service_offline()
    {
        var serviceId = await Admin.CreateServiceAsync("""{"serviceName":"scannable","clientSecretFormat":"IDENTIFIABLE"}""");
        var client = await Admin.CreateClientAsync(serviceId);

        var format = await RekeyAsync("secret", "format");
        Assert.True(format.ExitCode == ExitCodes.Success, format.ToString());
        var prefix = format.Field("prefix") ?? throw new InvalidOperationException(format.ToString());
        Assert.Matches(new Regex(format.Field("regex") ?? ""), client.Secret);

        var check = await RunAsync(Offline(), client.Secret + "\n", "secret", "check", "--prefix", prefix);
        Assert.True(check.ExitCode == ExitCodes.Success, check.ToString());
    }
}
