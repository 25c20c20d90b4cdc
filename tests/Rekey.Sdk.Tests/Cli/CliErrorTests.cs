using Rekey.Cli;
using Rekey.Contracts;

namespace Rekey.Sdk.Tests.Cli;

/// <summary>Exit codes, error lines and the handling of secrets on the command line.</summary>
public sealed class CliErrorTests(SqliteServerFixture fixture) : CliTestBase(fixture)
{
    [Fact]
    public async Task an_unknown_client_exits_1_with_the_servers_code_on_stderr()
    {
        var serviceId = await Admin.CreateServiceAsync();

        var run = await RunAsync(Env(serviceId), null, "secret", "refresh", "ghost");

        Assert.Equal(ExitCodes.Refused, run.ExitCode);
        Assert.Equal("", run.Out);
        Assert.Equal($"error: A000211 [A000211] The client 'ghost' was not found in the service {serviceId}.\n", run.Err);
    }

    [Fact]
    public async Task a_wrong_token_exits_1()
    {
        var run = await RekeyAsync("--token", "wrong", "service", "list");

        Assert.Equal(ExitCodes.Refused, run.ExitCode);
        Assert.StartsWith("error: A000202 ", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_secret_that_breaks_the_rules_exits_2_and_changes_nothing()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId, """{"clientName":"test client","clientIdAlias":"strict"}""");

        var run = await RunAsync(Env(serviceId), "not allowed!\n", "secret", "update", "strict");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Equal("", run.Out);
        Assert.Equal($"error: A149205 {ResultCodes.SecretIllegalCharacter.Format(4)}\n", run.Err);
        var got = await RunAsync(Env(serviceId), null, "--json", "client", "get", "strict", "--show-secret");
        Assert.Equal(client.Secret, got.Json(RekeyJsonContext.Default.ClientDocument).ClientSecret);
    }

    [Fact]
    public async Task a_secret_of_87_characters_exits_2()
    {
        var run = await RunAsync(Env(1), new string('a', 87) + "\n", "secret", "update", "any");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.StartsWith("error: A149204 ", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_missing_service_exits_2()
    {
        var run = await RekeyAsync("client", "get", "anything");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Equal("error: usage no service: pass --service <id>, set REKEY_SERVICE, or save one with 'rekey login --service <id>'.\n", run.Err);
    }

    [Theory]
    [InlineData("client", "get")]
    [InlineData("client", "create")]
    [InlineData("client", "frobnicate", "x")]
    [InlineData("secret", "update", "x", "--no-such-option")]
    [InlineData("apitoken", "delete", "not-a-number")]
    [InlineData("service", "list", "--start", "-1")]
    [InlineData("client", "get", "x", "--service", "abc")]
    [InlineData("client", "create", "--service", "1", "--name", "n", "--type", "SECRETIVE")]
    [InlineData("--url", "not a url", "service", "list")]
    [InlineData("--timeout", "0", "service", "list")]
    [InlineData("--timeout", "2147483647", "service", "list")]
    [InlineData("secret", "list")]
    [InlineData("secret", "revoke", "x")]
    [InlineData("secret", "revoke", "x", "not-a-number")]
    [InlineData("secret", "refresh", "x", "--service", "1", "--grace", "ten")]
    [InlineData("audit")]
    [InlineData("audit", "--client", "0", "--all-services")]
    [InlineData("audit", "--all-services", "--start", "-1")]
    [InlineData("keys")]
    [InlineData("keys", "spin")]
    [InlineData("signing-key", "rotate")]
    [InlineData()]
    public async Task bad_usage_exits_2_without_calling_the_server(params string[] args)
    {
        var run = await RekeyAsync(args);

        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.StartsWith("error: usage ", run.Err, StringComparison.Ordinal);
        Assert.Equal("", run.Out);
    }

    [Fact]
    public async Task no_token_exits_2()
    {
        var run = await RunAsync(new Dictionary<string, string?> { ["REKEY_URL"] = Host.BaseAddress.ToString() }, null, "service", "list");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Equal("error: usage no token: run 'rekey login', set REKEY_TOKEN or pass --token.\n", run.Err);
    }

    [Fact]
    public async Task nothing_on_standard_input_exits_2()
    {
        var run = await RunAsync(Env(1), "", "secret", "update", "x");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.StartsWith("error: usage no secret on standard input", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task secret_and_secret_file_together_exit_2()
    {
        var run = await RunAsync(Env(1), null, "secret", "update", "x", "--secret", "a", "--secret-file", "/nonexistent");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("not both", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task an_unreadable_secret_file_exits_2()
    {
        var run = await RunAsync(Env(1), null, "secret", "update", "x", "--secret-file", Path.Combine(Path.GetTempPath(), "rekey-no-such-file"));

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.StartsWith("error: usage cannot read --secret-file", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task an_unreachable_server_exits_3()
    {
        var env = Env(1);
        env["REKEY_URL"] = $"http://127.0.0.1:{Ports.Unused()}";

        var run = await RunAsync(env, null, "client", "get", "x");

        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.StartsWith("error: network Could not reach http://127.0.0.1:", run.Err, StringComparison.Ordinal);
        Assert.Equal("", run.Out);
    }

    public static TheoryData<string[], string?, string> WritesAndWhatToReadBack => new()
    {
        { ["secret", "refresh", "billing"], null, "the client (rekey client get billing / rekey secret list billing)" },
        { ["secret", "update", "billing"], "next_Secret\n", "the client (rekey client get billing / rekey secret list billing)" },
        { ["secret", "revoke", "billing", "42", "--yes"], null, "the client's secrets (rekey secret list billing)" },
        { ["client", "delete", "billing", "--yes"], null, "the client (rekey client get billing)" },
        { ["client", "lock", "billing"], null, "the client (rekey client get billing)" },
        { ["client", "create", "--name", "n"], null, "the clients (rekey client list)" },
        { ["keys", "rotate", "--yes"], null, "the data keys (rekey keys list; finish an interrupted rotation with rekey keys reencrypt)" },
        { ["apitoken", "delete", "7", "--yes"], null, "the API tokens (rekey apitoken list)" },
        { ["registration", "token", "create"], null, "the initial access tokens (rekey registration token list)" },
        { ["registration", "token", "revoke", "7", "--yes"], null, "the initial access tokens (rekey registration token list)" },
    };

    [Theory]
    [MemberData(nameof(WritesAndWhatToReadBack))]
    public async Task a_503_A000104_exits_3_with_the_servers_message_and_says_what_to_read_back_before_retrying(string[] args, string? stdin, string readBack)
    {
        var message = ResultCodes.StoreOutcomeUnknown.Format("0HNAB12CD34EF:00000001");
        await using var stub = await StubServer.StartAsync(503, $$"""{"resultCode":"A000104","resultMessage":"{{message}}"}""");

        var run = await RunAsync(EnvFor(stub), stdin, args);

        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.Equal("", run.Out);
        Assert.Equal(
            $"error: A000104 {message}\n" +
            "note: the server lost its database connection while committing; the change may or may not have been made. " +
            $"Read back {readBack} before retrying.\n",
            run.Err);
        Assert.Single(stub.Paths);
    }

    [Fact]
    public async Task a_503_A000102_exits_3_with_the_servers_message_alone_nothing_was_changed()
    {
        var message = ResultCodes.StoreUnavailable.Format();
        await using var stub = await StubServer.StartAsync(503, $$"""{"resultCode":"A000102","resultMessage":"{{message}}"}""");

        var run = await RunAsync(EnvFor(stub), null, "secret", "refresh", "billing");

        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.Equal($"error: A000102 {message}\n", run.Err);
    }

    [Fact]
    public async Task a_4xx_answer_that_is_not_rekeys_exits_3_not_1()
    {
        // A web server that is not Rekey (a wrong --url, a proxy's page): its 404 says nothing about the client.
        await using var stub = await StubServer.StartAsync(404, "<html><body>404 Not Found</body></html>", "text/html");

        var run = await RunAsync(EnvFor(stub), null, "client", "get", "billing");

        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.StartsWith("error: invalid-response HTTP 404 ", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task the_url_option_wins_over_the_environment()
    {
        var env = Env();
        env["REKEY_URL"] = $"http://127.0.0.1:{Ports.Unused()}";

        var run = await RunAsync(env, null, "--url", Host.BaseAddress.ToString(), "service", "list");

        Assert.True(run.ExitCode == 0, run.ToString());
    }

    [Fact]
    public async Task secret_on_the_command_line_works_but_warns_about_shell_history()
    {
        var serviceId = await Admin.CreateServiceAsync();
        await Admin.CreateClientAsync(serviceId, """{"clientName":"test client","clientIdAlias":"warned"}""");

        var run = await RunAsync(Env(serviceId), null, "secret", "update", "warned", "--secret", "typed_Secret");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("A149001", run.Field("resultCode"));
        Assert.DoesNotContain("typed_Secret", run.Out, StringComparison.Ordinal);
        Assert.StartsWith("warning: --secret puts the secret in your shell history", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task secret_file_is_read_with_its_trailing_newline_stripped()
    {
        var serviceId = await Admin.CreateServiceAsync();
        await Admin.CreateClientAsync(serviceId, """{"clientName":"test client","clientIdAlias":"from-file"}""");
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(path, "file_Secret\r\n");

            var run = await RunAsync(Env(serviceId), null, "secret", "update", "from-file", "--secret-file", path);

            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Equal("A149001", run.Field("resultCode"));
            Assert.DoesNotContain("file_Secret", run.Out, StringComparison.Ordinal);
            Assert.Equal("", run.Err);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task help_lists_the_commands_and_the_exit_codes()
    {
        var run = await RekeyAsync("--help");

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Contains("rekey [command] [options]", run.Out, StringComparison.Ordinal);
        Assert.Contains("Exit codes: 0 success; 1 the server refused", run.Out, StringComparison.Ordinal);
        foreach (var command in new[] { "service", "client", "secret", "apitoken", "audit", "keys", "signing-key" })
        {
            Assert.Contains("  " + command + " ", run.Out, StringComparison.Ordinal);
        }

        var sub = await RekeyAsync("secret", "update", "--help");
        Assert.Equal(ExitCodes.Success, sub.ExitCode);
        Assert.Contains("--secret-file", sub.Out, StringComparison.Ordinal);
    }
}
