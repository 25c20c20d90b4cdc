using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Rekey.Contracts;
using Xunit.Abstractions;

namespace Rekey.Tests.OAuth;

/// <summary>
/// Real JavaScript libraries from npm, in their default setup, against a real Rekey over HTTP (issue #14, "interop by
/// default"): openid-client discovers from the issuer alone and gets tokens (client_secret_post, client_secret_basic,
/// client_secret_jwt) and introspects them; jose verifies a token with the announced JWKS and refuses a tampered one;
/// Authlete's TypeScript SDK, pointed at Rekey, updates a client secret. The calls are in <c>NodeInterop.mjs</c>, which
/// prints what each step saw as JSON; these tests check it.
/// </summary>
[RequiresTools("node", "npm")]
public sealed class NodeInteropTests(SqliteServerFixture server, NodePackagesFixture npm, ITestOutputHelper output)
    : IClassFixture<SqliteServerFixture>, IClassFixture<NodePackagesFixture>
{
    private const string Service =
        """{"serviceName":"node interop","supportedScopes":[{"name":"read","defaultEntry":true},{"name":"write"}]}""";

    private const string Scope = "read write";

    private readonly HttpClient _admin = server.Host.CreateAdminClient();

    private string Origin => server.Host.BaseAddress.GetLeftPart(UriPartial.Authority);

    private string Issuer(long serviceId) => $"{Origin}/oauth2/{serviceId}";

    private static string Client(string method) =>
        $$"""{"clientName":"node interop","grantTypes":["CLIENT_CREDENTIALS"],"tokenAuthMethod":"{{method}}"}""";

    [Fact]
    public async Task openid_client_discovers_from_the_issuer_gets_a_token_jose_verifies_it_refuses_it_tampered_and_introspection_says_active()
    {
        var sid = await _admin.CreateServiceAsync(Service);
        // openid-client sends the secret in the body unless told otherwise: a client registered for client_secret_post.
        var client = await _admin.CreateClientAsync(sid, Client("CLIENT_SECRET_POST"));

        var result = await RunAsync("post", sid, new JsonObject { ["post"] = Credentials(client) });

        var discovered = Step(result, "discovery");
        Assert.Equal(Issuer(sid), Text(discovered, "issuer"));
        Assert.Equal(Issuer(sid) + "/token", Text(discovered, "token_endpoint"));
        Assert.Equal(Issuer(sid) + "/jwks", Text(discovered, "jwks_uri"));
        Assert.Equal(Issuer(sid) + "/introspect", Text(discovered, "introspection_endpoint"));
        Assert.True(Step(result, "token")["received"]?.GetValue<bool>());

        var verified = Step(result, "verify");
        Assert.Equal(("ES256", "at+jwt"), (Text(verified["header"], "alg"), Text(verified["header"], "typ")));
        var claims = verified["claims"];
        Assert.Equal(Issuer(sid), Text(claims, "iss"));
        Assert.Equal(client.Id, Text(claims, "sub"));
        Assert.Equal(client.Id, Text(claims, "client_id"));
        Assert.Equal(Issuer(sid), Text(claims, "aud"));
        Assert.Equal(Scope, Text(claims, "scope"));

        Assert.Equal("ERR_JWS_SIGNATURE_VERIFICATION_FAILED", Refusal(result, "tampered")["code"]?.GetValue<string>());

        var introspection = Step(result, "introspection");
        Assert.True(introspection["active"]?.GetValue<bool>(), introspection.ToJsonString());
        Assert.Equal(client.Id, Text(introspection, "client_id"));
        Assert.Equal(Issuer(sid), Text(introspection, "iss"));
    }

    [Fact]
    public async Task openid_client_with_client_secret_jwt_gets_a_token_and_introspects_it()
    {
        var sid = await _admin.CreateServiceAsync(Service);
        var client = await _admin.CreateClientAsync(sid, Client("CLIENT_SECRET_JWT"));

        var result = await RunAsync("jwt", sid, new JsonObject { ["jwt"] = Credentials(client) });

        Assert.Equal(Issuer(sid), Text(Step(result, "discovery"), "issuer"));
        var claims = Step(result, "token")["claims"];
        Assert.Equal(client.Id, Text(claims, "client_id"));
        Assert.Equal(Issuer(sid), Text(claims, "iss"));
        var introspection = Step(result, "introspection");
        Assert.True(introspection["active"]?.GetValue<bool>(), introspection.ToJsonString());
        Assert.Equal(client.Id, Text(introspection, "client_id"));
    }

    [Fact]
    public async Task a_client_registered_with_the_default_method_is_refused_openid_clients_default_post_and_served_with_client_secret_basic()
    {
        var sid = await _admin.CreateServiceAsync(Service);
        var client = await _admin.CreateClientAsync(sid, """{"clientName":"node interop","grantTypes":["CLIENT_CREDENTIALS"]}""");
        Assert.Equal("CLIENT_SECRET_BASIC", client.Created.Str("tokenAuthMethod"));

        var result = await RunAsync("basic", sid, new JsonObject { ["basic"] = Credentials(client) });

        AssertInvalidClient(result, "default_post");
        Assert.Equal(client.Id, Text(Step(result, "basic")["claims"], "client_id"));
    }

    [Fact]
    public async Task authlete_typescript_sdk_pointed_at_rekey_updates_a_secret_and_only_the_new_one_then_gets_a_token()
    {
        var sid = await _admin.CreateServiceAsync(Service);
        var client = await _admin.CreateClientAsync(sid, Client("CLIENT_SECRET_POST"));
        var apiToken = await _admin.CreateApiTokenAsync(sid, Permissions.ClientSecretWrite);
        var newSecret = TestApi.NewSecret();

        var result = await RunAsync("authlete", sid, new JsonObject
        {
            ["authlete"] = new JsonObject
            {
                ["serviceId"] = sid,
                ["clientId"] = client.Id,
                ["secret"] = client.Secret,
                ["newSecret"] = newSecret,
                ["bearer"] = apiToken.Token,
            },
        });

        var update = Step(result, "update");
        Assert.Equal("A149001", Text(update, "resultCode"));
        Assert.Equal((true, true), (update["newClientSecret"]?.GetValue<bool>(), update["oldClientSecret"]?.GetValue<bool>()));
        Assert.Equal(client.Id, Text(Step(result, "token_with_new_secret")["claims"], "client_id"));
        AssertInvalidClient(result, "token_with_old_secret");
        Assert.Equal(newSecret, await _admin.CurrentSecretAsync(client));
    }

    [Fact]
    public async Task openid_client_registers_dynamically_with_a_single_use_initial_access_token_and_gets_a_token_as_the_client_it_registered()
    {
        var service = JsonNode.Parse(Service)!.AsObject();
        service["clientRegistrationPolicy"] = ClientRegistrationPolicies.InitialAccessToken;
        var sid = await _admin.CreateServiceAsync(service.ToJsonString());
        var created = await _admin.SendForReplyAsync(HttpMethod.Post, $"/api/{sid}/registration/token/create", Wire.Json("""{"singleUse":true}"""));

        var result = await RunAsync("registration", sid, new JsonObject { ["registration"] = new JsonObject { ["initialAccessToken"] = created.Str("token") } });

        var registered = Step(result, "register");
        var clientId = Text(registered, "client_id");
        Assert.True(registered["has_secret"]?.GetValue<bool>());
        Assert.Equal($"{Issuer(sid)}/register/{clientId}", Text(registered, "registration_client_uri"));
        Assert.Equal(clientId, Text(Step(result, "token")["claims"], "client_id"));
        Assert.Equal((401, "invalid_token"), (Refusal(result, "register_again")["status"]?.GetValue<int>(), Text(Refusal(result, "register_again"), "oauth_error")));
        var stored = await _admin.GetForReplyAsync($"/api/{sid}/client/get/{clientId}");
        Assert.Equal(("openid-client", "CLIENT_SECRET_POST"), (stored.Str("clientName"), stored.Str("tokenAuthMethod")));
    }

    private static JsonObject Credentials(TestClient client) => new() { ["clientId"] = client.Id, ["secret"] = client.Secret };

    /// <summary>Runs one case of the script and returns the JSON it printed; a failed run fails the test with both streams.</summary>
    private async Task<JsonObject> RunAsync(string name, long serviceId, JsonObject input)
    {
        var installed = await npm.InstallAsync();
        input["origin"] = Origin;
        input["issuer"] = Issuer(serviceId);
        input["scope"] = Scope;
        var run = await NodeTool.RunAsync("node", [NodePackagesFixture.Script, name], installed.Directory,
            new Dictionary<string, string> { ["REKEY_INTEROP"] = input.ToJsonString() }, TimeSpan.FromSeconds(60));
        // The secrets go in through the environment, which is never printed; the script prints none.
        output.WriteLine($"{installed.Summary}\nnode {NodePackagesFixture.Script} {name}: exit {run.ExitCode}, {run.Elapsed.TotalMilliseconds:F0} ms\n{run.Stdout}{run.Stderr}");
        Assert.True(run.ExitCode == 0, $"node exited with {run.ExitCode}.\n{run.Output}");
        var last = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
        return JsonNode.Parse(last ?? "null") as JsonObject ?? throw new Xunit.Sdk.XunitException("The script printed no JSON object.\n" + run.Output);
    }

    /// <summary>What step <paramref name="name"/> saw; it must have succeeded.</summary>
    private static JsonObject Step(JsonObject result, string name)
    {
        var step = result[name] as JsonObject ?? throw new Xunit.Sdk.XunitException($"No step '{name}' in {result.ToJsonString()}");
        Assert.False(step.ContainsKey("error"), $"Step '{name}' failed: {step.ToJsonString()}");
        return step;
    }

    /// <summary>How step <paramref name="name"/> failed; it must have been refused.</summary>
    private static JsonObject Refusal(JsonObject result, string name)
    {
        var step = result[name] as JsonObject ?? throw new Xunit.Sdk.XunitException($"No step '{name}' in {result.ToJsonString()}");
        Assert.True(step.ContainsKey("error"), $"Step '{name}' was expected to be refused: {step.ToJsonString()}");
        return step;
    }

    /// <summary>Step <paramref name="name"/> was refused by the token endpoint: 401 invalid_client.</summary>
    private static void AssertInvalidClient(JsonObject result, string name)
    {
        var refusal = Refusal(result, name);
        Assert.Equal((401, "invalid_client"), (refusal["status"]?.GetValue<int>(), Text(refusal, "oauth_error")));
    }

    private static string? Text(JsonNode? node, string property) => node?[property]?.GetValue<string>();
}

/// <summary>
/// openid-client, jose and Authlete's TypeScript SDK installed by npm into a temporary directory, once for the class
/// and only when a test asks (where node or npm is missing the tests are skipped and nothing is installed), with the
/// script beside them so that node resolves their imports.
/// </summary>
public sealed class NodePackagesFixture : IDisposable
{
    public const string Script = "NodeInterop.mjs";

    /// <summary>Exact versions: the ones the issue was checked with, and the Authlete SDK's only release on npm so far.</summary>
    public static readonly IReadOnlyList<string> Packages = ["openid-client@6.9.1", "jose@6.2.19", "@authlete/typescript-sdk@0.0.3-beta"];

    private static readonly TimeSpan InstallLimit = TimeSpan.FromMinutes(3);

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("rekey-npm-");

    private readonly Lock _lock = new();

    private Task<Installed>? _install;

    /// <summary>Where the packages and <see cref="Script"/> are, and how long npm took.</summary>
    public sealed record Installed(string Directory, TimeSpan Elapsed, string Versions)
    {
        public string Summary => string.Create(CultureInfo.InvariantCulture, $"npm installed {Versions} in {Elapsed.TotalSeconds:F1} s (once for the class)");
    }

    /// <summary>Installs the packages on the first call; later calls get the same directory.</summary>
    public Task<Installed> InstallAsync()
    {
        lock (_lock)
        {
            return _install ??= RunInstallAsync();
        }
    }

    private async Task<Installed> RunInstallAsync()
    {
        // openid-client 6 and jose 6 need Node.js 20 (WebCrypto and fetch as globals); Debian 12's nodejs is 18.
        var node = await NodeTool.RunAsync("node", ["--version"], _directory.FullName, new Dictionary<string, string>(), TimeSpan.FromSeconds(30));
        if (!int.TryParse(node.Stdout.Trim().TrimStart('v').Split('.')[0], CultureInfo.InvariantCulture, out var major) || major < 20)
        {
            throw new InvalidOperationException($"openid-client 6 and jose 6 need Node.js 20 or later; node --version says {node.Stdout.Trim()}.\n{node.Output}");
        }

        // A package.json of its own, so that npm installs here and not into the nearest ancestor that has one.
        await File.WriteAllTextAsync(Path.Combine(_directory.FullName, "package.json"), """{"name":"rekey-node-interop","private":true}""");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "OAuth", Script), Path.Combine(_directory.FullName, Script));

        var run = await NodeTool.RunAsync("npm", ["install", "--no-audit", "--no-fund", .. Packages], _directory.FullName,
            new Dictionary<string, string> { ["npm_config_update_notifier"] = "false" }, InstallLimit);
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException($"npm install {string.Join(' ', Packages)} failed with exit code {run.ExitCode}.\n{run.Output}");
        }

        foreach (var package in Packages)
        {
            var (name, version) = (package[..package.LastIndexOf('@')], package[(package.LastIndexOf('@') + 1)..]);
            if (InstalledVersion(name) is var installed && installed != version)
            {
                throw new InvalidOperationException($"npm installed {name} {installed ?? "(nothing)"}, not {version}.\n{run.Output}");
            }
        }

        return new Installed(_directory.FullName, run.Elapsed, string.Join(", ", Packages));
    }

    private string? InstalledVersion(string package)
    {
        var manifest = Path.Combine(_directory.FullName, "node_modules", package, "package.json");
        return File.Exists(manifest) ? JsonNode.Parse(File.ReadAllText(manifest))?["version"]?.GetValue<string>() : null;
    }

    public void Dispose() => _directory.Delete(recursive: true);
}

/// <summary>Runs a program found on PATH to its exit, with a time limit, and keeps both streams.</summary>
internal static class NodeTool
{
    public sealed record Run(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
    {
        public string Output => $"--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
    }

    public static async Task<Run> RunAsync(string program, IEnumerable<string> args, string workingDirectory, IReadOnlyDictionary<string, string> environment, TimeSpan limit)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException(program + " did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            var (output, errors) = (await stdout, await stderr);
            throw new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                $"{program} {string.Join(' ', args)} did not exit within {limit.TotalSeconds} s.\n--- stdout\n{output}\n--- stderr\n{errors}"));
        }

        return new Run(process.ExitCode, await stdout, await stderr, clock.Elapsed);
    }
}
