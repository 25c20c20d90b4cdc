using System.Text.Json;
using System.Text.Json.Nodes;
using Rekey.Cli;
using Rekey.Contracts;

namespace Rekey.Sdk.Tests.Cli;

/// <summary>Profiles, confirmations and the secret prompt: what a person at a terminal meets.</summary>
public sealed class CliSessionTests(SqliteServerFixture fixture) : CliTestBase(fixture), IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("rekey-home-").FullName;

    private string ConfigPath => Path.Combine(_home, ".config", "rekey", "config.json");

    /// <summary>A user with a home directory and nothing exported.</summary>
    private Dictionary<string, string?> Home(params (string Name, string? Value)[] extra)
    {
        var env = new Dictionary<string, string?> { ["HOME"] = _home };
        foreach (var (name, value) in extra)
        {
            env[name] = value;
        }

        return env;
    }

    [Fact]
    public async Task login_checks_the_token_saves_it_0600_never_prints_it_and_later_commands_use_the_profile()
    {
        var serviceId = await Admin.CreateServiceAsync();
        await Admin.CreateClientAsync(serviceId, """{"clientName":"profiled","clientIdAlias":"profiled"}""");

        var login = await RunAsync(Home(), RekeyHost.AdminToken + "\n", "login", "--url", Host.BaseAddress.ToString(), "--service", $"{serviceId}");

        Assert.True(login.ExitCode == ExitCodes.Success, login.ToString());
        Assert.DoesNotContain(RekeyHost.AdminToken, login.Out + login.Err, StringComparison.Ordinal);
        Assert.Contains("as profile 'default'", login.Out, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ConfigPath));
        }

        var got = await RunAsync(Home(), null, "client", "get", "profiled");
        Assert.True(got.ExitCode == ExitCodes.Success, got.ToString());
        Assert.Equal("profiled", got.Field("clientIdAlias"));

        var config = await RunAsync(Home(), null, "config");
        Assert.True(config.ExitCode == ExitCodes.Success, config.ToString());
        Assert.DoesNotContain(RekeyHost.AdminToken, config.Out, StringComparison.Ordinal);
        var row = Assert.Single(config.Table("PROFILE", "DEFAULT", "URL", "SERVICE", "TOKEN"));
        Assert.Equal(("default", "*", $"{serviceId}"), (row["PROFILE"], row["DEFAULT"], row["SERVICE"]));
        // No character of the token, only its length (the test token's "test" prefix would show otherwise).
        Assert.Equal($"**** ({RekeyHost.AdminToken.Length} characters)", row["TOKEN"]);
    }

    [Fact]
    public async Task flags_win_over_variables_and_variables_over_the_profile()
    {
        await RunAsync(Home(), RekeyHost.AdminToken + "\n", "login", "--url", Host.BaseAddress.ToString());
        var unused = $"http://127.0.0.1:{Ports.Unused()}";

        var fromVariable = await RunAsync(Home(("REKEY_URL", unused)), null, "service", "list");
        Assert.Equal(ExitCodes.Failure, fromVariable.ExitCode);
        Assert.StartsWith($"error: network Could not reach {unused}/", fromVariable.Err, StringComparison.Ordinal);

        var fromFlag = await RunAsync(Home(("REKEY_URL", unused)), null, "service", "list", "--url", Host.BaseAddress.ToString());
        Assert.True(fromFlag.ExitCode == ExitCodes.Success, fromFlag.ToString());

        var wrongToken = await RunAsync(Home(("REKEY_TOKEN", "wrong")), null, "service", "list");
        Assert.Equal(ExitCodes.Refused, wrongToken.ExitCode);
    }

    [Fact]
    public async Task profiles_are_chosen_with_the_flag_or_the_variable_and_logout_forgets_one()
    {
        var serviceId = await Admin.CreateServiceAsync();
        await RunAsync(Home(), RekeyHost.AdminToken + "\n", "login", "--url", Host.BaseAddress.ToString());
        var second = await RunAsync(Home(), RekeyHost.AdminToken + "\n", "login", "--profile", "ops", "--url", Host.BaseAddress.ToString(), "--service", $"{serviceId}");
        Assert.True(second.ExitCode == ExitCodes.Success, second.ToString());

        Assert.Equal(ExitCodes.Usage, (await RunAsync(Home(), null, "service", "get")).ExitCode);
        Assert.Equal(ExitCodes.Success, (await RunAsync(Home(), null, "service", "get", "--profile", "ops")).ExitCode);
        Assert.Equal(ExitCodes.Success, (await RunAsync(Home(("REKEY_PROFILE", "ops")), null, "service", "get")).ExitCode);

        var missing = await RunAsync(Home(), null, "service", "list", "--profile", "nope");
        Assert.Equal(ExitCodes.Usage, missing.ExitCode);
        Assert.StartsWith("error: usage no profile 'nope' in ", missing.Err, StringComparison.Ordinal);

        var logout = await RunAsync(Home(), null, "logout", "--profile", "ops");
        Assert.True(logout.ExitCode == ExitCodes.Success, logout.ToString());
        Assert.DoesNotContain("\"ops\"", await File.ReadAllTextAsync(ConfigPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task login_with_a_wrong_token_saves_nothing()
    {
        var run = await RunAsync(Home(), "not-the-token\n", "login", "--url", Host.BaseAddress.ToString());

        Assert.Equal(ExitCodes.Refused, run.ExitCode);
        Assert.StartsWith("error: A000202 ", run.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(ConfigPath));
    }

    [Fact]
    public async Task login_on_a_terminal_asks_for_the_token_without_echo()
    {
        var terminal = new ScriptedTerminal(RekeyHost.AdminToken);

        var run = await RunAsync(Home(), null, terminal, "login", "--url", Host.BaseAddress.ToString());

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Equal($"Token for {Host.BaseAddress} (not shown): ", Assert.Single(terminal.Prompts));
    }

    [Fact]
    public async Task a_destructive_command_without_a_terminal_needs_yes_and_sends_nothing()
    {
        var serviceId = await Admin.CreateServiceAsync();
        await Admin.CreateClientAsync(serviceId, """{"clientName":"kept","clientIdAlias":"kept"}""");

        var run = await RunAsync(Env(serviceId), null, "client", "delete", "kept");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Equal($"error: usage This deletes client kept of service {serviceId} with its secrets: standard input is not a terminal, so pass --yes to confirm.\n", run.Err);
        Assert.Equal(ExitCodes.Success, (await RunAsync(Env(serviceId), null, "client", "get", "kept")).ExitCode);
    }

    [Theory]
    [InlineData("n", false)]
    [InlineData("", false)]
    [InlineData("y", true)]
    [InlineData("yes", true)]
    public async Task a_destructive_command_on_a_terminal_asks_y_or_n(string answer, bool deleted)
    {
        var serviceId = await Admin.CreateServiceAsync();
        await Admin.CreateClientAsync(serviceId, """{"clientName":"asked","clientIdAlias":"asked"}""");
        var terminal = new ScriptedTerminal(answer);

        var run = await RunAsync(Env(serviceId), null, terminal, "client", "delete", "asked");

        Assert.Equal($"This deletes client asked of service {serviceId} with its secrets. Continue? [y/N] ", Assert.Single(terminal.Prompts));
        Assert.Equal(deleted ? ExitCodes.Success : ExitCodes.Usage, run.ExitCode);
        Assert.Equal(deleted ? ExitCodes.Refused : ExitCodes.Success, (await RunAsync(Env(serviceId), null, "client", "get", "asked")).ExitCode);
    }

    [Theory]
    [InlineData("service", "delete")]
    [InlineData("secret", "revoke", "x", "1")]
    [InlineData("apitoken", "delete", "1")]
    [InlineData("registration", "token", "revoke", "1")]
    [InlineData("keys", "rotate")]
    [InlineData("keys", "retire", "old")]
    public async Task every_destructive_command_needs_yes_in_a_script(params string[] args)
    {
        var run = await RunAsync(Env(1), null, args);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.EndsWith("standard input is not a terminal, so pass --yes to confirm.\n", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task the_secret_prompt_asks_twice_and_does_not_print_the_typed_secret()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId, """{"clientName":"typed","clientIdAlias":"typed"}""");
        var terminal = new ScriptedTerminal("typed_Secret-1", "typed_Secret-1");

        var run = await RunAsync(Env(serviceId), null, terminal, "secret", "update", "typed");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Equal(["New client secret (not shown): ", "Again, to confirm (not shown): "], terminal.Prompts);
        Assert.DoesNotContain("typed_Secret-1", run.Out + run.Err, StringComparison.Ordinal);
        Assert.Equal("A149001", run.Field("resultCode"));
        Assert.Equal("typed_Secret-1", await Admin.CurrentSecretAsync(serviceId, client.ClientId));
    }

    [Fact]
    public async Task two_different_entries_at_the_secret_prompt_send_nothing()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var client = await Admin.CreateClientAsync(serviceId, """{"clientName":"typo","clientIdAlias":"typo"}""");

        var run = await RunAsync(Env(serviceId), null, new ScriptedTerminal("first_Secret", "frist_Secret"), "secret", "update", "typo");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Equal("error: usage the two entries differ; nothing was sent.\n", run.Err);
        Assert.Equal(client.Secret, await Admin.CurrentSecretAsync(serviceId, client.ClientId));
    }

    [Fact]
    public async Task a_generated_secret_is_shown_once()
    {
        var serviceId = await Admin.CreateServiceAsync();
        await Admin.CreateClientAsync(serviceId, """{"clientName":"gen","clientIdAlias":"gen"}""");

        var run = await RunAsync(Env(serviceId), null, "secret", "refresh", "gen");

        Assert.Equal(86, run.Field("newClientSecret")?.Length);
    }

    [Fact]
    public async Task tables_are_aligned_by_display_width_with_cjk_emoji_and_combining_marks()
    {
        var serviceId = await Admin.CreateServiceAsync();
        await Admin.CreateClientAsync(serviceId, """{"clientName":"支払いサービス","clientIdAlias":"wide","developer":"d"}""");
        await Admin.CreateClientAsync(serviceId, """{"clientName":"Cafe\u0301 🔑","clientIdAlias":"mixed","developer":"d"}""");
        await Admin.CreateClientAsync(serviceId, """{"clientName":"plain","clientIdAlias":"plain","developer":"d"}""");

        var run = await RunAsync(Env(serviceId), null, "client", "list");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        var lines = run.Out.Split('\n').Where(l => l.Length > 0 && !l.Contains(" of ", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, lines.Count);

        // The TYPE column starts at the same terminal column on every line.
        var columns = lines.Select(l => DisplayWidth(l[..l.IndexOf(l.StartsWith("CLIENT ID", StringComparison.Ordinal) ? "TYPE" : "CONFIDENTIAL", StringComparison.Ordinal)])).Distinct();
        Assert.Single(columns);
    }

    /// <summary>The test's own count: 2 for the CJK and emoji used above, 0 for the combining accent, 1 otherwise.</summary>
    private static int DisplayWidth(string text) => text.EnumerateRunes().Sum(r => r.Value switch
    {
        0x0301 => 0,
        >= 0x3040 and <= 0x30FF or >= 0x4E00 and <= 0x9FFF or 0x1F511 => 2,
        _ => 1,
    });

    [Fact]
    public async Task output_yaml_quotes_every_string_and_json_errors_go_to_stderr()
    {
        var serviceId = await Admin.CreateServiceAsync();
        await Admin.CreateClientAsync(serviceId, """{"clientName":"yes","clientIdAlias":"yaml-1","developer":"# not a comment"}""");

        var yaml = await RunAsync(Env(serviceId), null, "client", "get", "yaml-1", "-o", "yaml");
        Assert.True(yaml.ExitCode == ExitCodes.Success, yaml.ToString());
        Assert.Contains("\"clientName\": \"yes\"\n", yaml.Out, StringComparison.Ordinal);
        Assert.Contains("\"developer\": \"# not a comment\"\n", yaml.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("clientSecret", yaml.Out, StringComparison.Ordinal);

        var missing = await RunAsync(Env(serviceId), null, "client", "get", "nobody", "--output", "json");
        Assert.Equal(ExitCodes.Refused, missing.ExitCode);
        Assert.Equal("", missing.Out);
        var error = JsonNode.Parse(missing.Err) ?? throw new InvalidOperationException();
        Assert.Equal("A000211", (string?)error["resultCode"]);
        Assert.Equal(404, (int?)error["httpStatus"]);

        var usage = await RunAsync(Env(serviceId), null, "--json", "client", "list", "--end", "x");
        Assert.Equal(ExitCodes.Usage, usage.ExitCode);
        Assert.Equal("usage", (string?)JsonNode.Parse(usage.Err)?["resultCode"]);
    }

    public new void Dispose()
    {
        Directory.Delete(_home, recursive: true);
        base.Dispose();
    }
}
