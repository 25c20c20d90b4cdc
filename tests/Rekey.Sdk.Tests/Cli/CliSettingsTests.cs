using System.Text.Json.Nodes;
using Rekey.Cli;
using Rekey.Contracts;

namespace Rekey.Sdk.Tests.Cli;

/// <summary>Every setting the docs use is a flag, and an update changes only what was given.</summary>
public sealed class CliSettingsTests(SqliteServerFixture fixture) : CliTestBase(fixture)
{
    [Fact]
    public async Task service_create_takes_grace_lifetime_token_duration_and_scopes_as_flags()
    {
        var run = await RekeyAsync("--json", "service", "create", "--name", "flags", "--grace", "10m", "--secret-lifetime", "30d",
            "--access-token-duration", "600", "--scope", "read,write", "--scope", "admin", "--default-scope", "read");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        var service = run.Json(RekeyJsonContext.Default.ServiceDocument);
        Assert.Equal(600, service.ClientSecretGracePeriod);
        Assert.Equal(30 * 86_400, service.ClientSecretLifetime);
        Assert.Equal(600, service.AccessTokenDuration);
        Assert.Equal(["read", "write", "admin"], service.SupportedScopes?.Select(s => s.Name));
        Assert.Equal([true, false, false], service.SupportedScopes?.Select(s => s.DefaultEntry));
    }

    [Fact]
    public async Task service_update_changes_only_what_was_given_and_keeps_properties_it_has_no_flag_for()
    {
        var serviceId = await Admin.CreateServiceAsync("""
            {"serviceName":"before","clientSecretGracePeriod":3600,"accessTokenDuration":900,
             "supportedScopes":[{"name":"read","defaultEntry":true,"description":"Read things"}],"tosUri":"https://example.com/tos"}
            """);

        var run = await RunAsync(Env(serviceId), null, "service", "update", "--grace", "120", "--scope", "read,write");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Equal("120", run.Field("clientSecretGracePeriod"));
        var stored = JsonNode.Parse(await Admin.GetStringAsync($"/api/{serviceId}/service/get")) ?? throw new InvalidOperationException();
        Assert.Equal("before", (string?)stored["serviceName"]);
        Assert.Equal(900, (long?)stored["accessTokenDuration"]);
        Assert.Equal(120, (long?)stored["clientSecretGracePeriod"]);
        Assert.Equal("https://example.com/tos", (string?)stored["tosUri"]);
        var scopes = stored["supportedScopes"]?.AsArray() ?? throw new InvalidOperationException();
        Assert.Equal("Read things", (string?)scopes[0]?["description"]);
        Assert.Equal(["read", "write"], scopes.Select(s => (string?)s?["name"]));
    }

    [Fact]
    public async Task client_create_and_update_take_the_token_auth_method_and_keep_what_was_not_given()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var env = Env(serviceId);
        var created = await RunAsync(env, null, "client", "create", "--name", "poster", "--alias", "poster", "--client-type", "confidential",
            "--grant-type", "client_credentials,refresh_token", "--token-auth-method", "client_secret_post", "--developer", "team-a");
        Assert.True(created.ExitCode == ExitCodes.Success, created.ToString());
        Assert.Equal("CLIENT_SECRET_POST", created.Field("tokenAuthMethod"));
        Assert.Equal("CLIENT_CREDENTIALS, REFRESH_TOKEN", created.Field("grantTypes"));
        var extended = await Admin.CreateClientAsync(serviceId, """{"clientName":"ext","clientIdAlias":"ext","tokenAuthMethod":"CLIENT_SECRET_POST","extension":{"accessTokenDuration":60},"logoUri":"https://example.com/logo.png"}""");

        var renamed = await RunAsync(env, null, "client", "update", "ext", "--name", "renamed");

        Assert.True(renamed.ExitCode == ExitCodes.Success, renamed.ToString());
        var stored = JsonNode.Parse(await Admin.GetStringAsync($"/api/{serviceId}/client/get/{extended.ClientId}")) ?? throw new InvalidOperationException();
        Assert.Equal("renamed", (string?)stored["clientName"]);
        Assert.Equal("ext", (string?)stored["clientIdAlias"]);
        Assert.Equal("CLIENT_SECRET_POST", (string?)stored["tokenAuthMethod"]);
        Assert.Equal(60, (long?)stored["extension"]?["accessTokenDuration"]);
        Assert.Equal("https://example.com/logo.png", (string?)stored["logoUri"]);
    }

    [Theory]
    [InlineData("must be a whole number of seconds (or with a unit: 90s, 10m, 2h, 7d), got 'abc'.", "secret", "refresh", "x", "--grace", "abc")]
    [InlineData("must be a whole number of seconds (or with a unit: 90s, 10m, 2h, 7d), got 'soon'.", "service", "create", "--name", "n", "--secret-lifetime", "soon")]
    [InlineData("must be a whole number, 0 or more, got 'ten'.", "client", "list", "--end", "ten")]
    [InlineData("must be one of CLIENT_SECRET_BASIC, CLIENT_SECRET_POST, NONE, CLIENT_SECRET_JWT, PRIVATE_KEY_JWT, TLS_CLIENT_AUTH, SELF_SIGNED_TLS_CLIENT_AUTH, got 'basic'.",
        "client", "create", "--name", "n", "--token-auth-method", "basic")]
    public async Task a_malformed_value_is_named_in_plain_words(string expected, params string[] args)
    {
        var run = await RunAsync(Env(1), null, args);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        var option = args.Reverse().Skip(1).First();
        Assert.StartsWith($"error: usage {option} {expected}\n", run.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_page_that_ends_before_it_starts_says_so()
    {
        var run = await RunAsync(Env(1), null, "client", "list", "--start", "5", "--end", "2");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Equal("error: usage --end 2 is less than --start 5: the page would be empty.\nRun 'rekey client list --help' for usage.\n", run.Err);
    }

    [Theory]
    [InlineData("apitoken", "list")]
    [InlineData("apitoken", "delete")]
    [InlineData("keys", "rotate")]
    [InlineData("keys", "list")]
    [InlineData("service", "create")]
    [InlineData("service", "list")]
    public async Task commands_that_act_on_no_one_service_do_not_offer_service(params string[] command)
    {
        var run = await RekeyAsync([.. command, "--help"]);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.DoesNotContain("--service", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task client_create_help_does_not_describe_updates()
    {
        var create = await RekeyAsync("client", "create", "--help");
        var update = await RekeyAsync("client", "update", "--help");

        Assert.DoesNotContain("remove", create.Out, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("replace", create.Out, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\"\" removes it", update.Out, StringComparison.Ordinal);
        Assert.Contains("keep the others", update.Out, StringComparison.Ordinal);
    }
}
