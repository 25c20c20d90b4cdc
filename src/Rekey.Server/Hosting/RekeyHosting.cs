using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Rekey.Contracts;
using Rekey.Server.Audit;
using Rekey.Server.Auth;
using Rekey.Server.Clients;
using Rekey.Server.Console;
using Rekey.Server.Events;
using Rekey.Server.Http;
using Rekey.Server.Leaks;
using Rekey.Server.OAuth;
using Rekey.Server.Secrets;
using Rekey.Server.Services;
using Rekey.Server.Storage;
using Rekey.Server.Storage.Postgres;
using Rekey.Server.Storage.Sqlite;
using Rekey.Server.Telemetry;

namespace Rekey.Server.Hosting;

/// <summary>Composition of the server: what <c>Program.cs</c> calls.</summary>
internal static class RekeyHosting
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>Set by systemd for a unit with <c>StateDirectory=</c>: the absolute path(s) of its state directories.</summary>
    public const string StateDirectoryVariable = "STATE_DIRECTORY";

    public static WebApplicationBuilder AddRekey(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
        else
        {
            CheckUrls(builder.Configuration["urls"]);
        }

        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);

        // A start that fails is reported by Program.cs as one line; the host's own "Hosting failed to start" would add
        // the stack trace at error level. Critical stays, so a background service that stops the host is still logged.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.Services.PostConfigure<LoggerFilterOptions>(NeverLogRequestTargets);

        var services = builder.Services;
        services.AddOptions<RekeyOptions>().BindConfiguration(RekeyOptions.Section).ValidateOnStart();
        if (string.IsNullOrEmpty(builder.Configuration[RekeyOptions.Section + ":" + nameof(RekeyOptions.DataDirectory)])
            && Environment.GetEnvironmentVariable(StateDirectoryVariable) is { Length: > 0 } stateDirectories)
        {
            // Started by systemd with StateDirectory=rekey: the directory systemd made for the service (and owns, also with
            // DynamicUser=), rather than "data" under the unit's working directory, which is / unless the unit says otherwise.
            // Several directories are separated by ':'; the first is ours. An explicit Rekey:DataDirectory still wins.
            services.PostConfigure<RekeyOptions>(o => o.DataDirectory = stateDirectories.Split(':')[0]);
        }

        services.AddSingleton<IValidateOptions<RekeyOptions>, RekeyOptionsValidator>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<UnhandledErrors>();
        // The data directory is checked before the key ring or the store write into it: both factories take it first, and
        // the store is built while the hosted services are constructed, before any of them (the initializer too) starts.
        services.AddSingleton<DataDirectory>();
        services.AddSingleton<AdminToken>();
        services.AddSingleton(sp => LoadKeyRing(sp.GetRequiredService<IOptions<RekeyOptions>>().Value, sp.GetRequiredService<DataDirectory>(), sp.GetRequiredService<ILogger<KeyRing>>()));
        services.AddSingleton<SecretCipher>();
        services.AddSingleton<KeyLifecycle>();
        services.AddSingleton<IRekeyStore>(sp => CreateStore(sp.GetRequiredService<IOptions<RekeyOptions>>().Value, sp.GetRequiredService<DataDirectory>(),
            sp.GetRequiredService<SecretCipher>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>()));
        // Registered before every other hosted service, and hosted services start before Kestrel listens.
        services.AddHostedService<RekeyInitializer>();
        services.AddSingleton<VerificationCache>();
        services.AddSingleton<Storage.Postgres.PostgresChangeFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<Storage.Postgres.PostgresChangeFeed>());
        services.AddSingleton<SecretUsage>();
        services.AddSingleton<SecretVerifier>();
        services.AddSingleton<SecretMaintenance>();
        services.AddHostedService(sp => sp.GetRequiredService<SecretMaintenance>());
        services.AddSingleton<EventSweep>();
        services.AddHostedService(sp => sp.GetRequiredService<EventSweep>());
        services.AddSingleton<WebhookDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        services.AddSingleton<SigningKeys>();
        services.AddSingleton<TokenIssuer>();
        services.AddSingleton<Introspector>();
        services.AddSingleton<FailedAuthLimiter>();
        services.AddSingleton<Changes>();
        services.AddSingleton<Registration.Registrar>();
        services.AddSingleton<Leaks.GitHubKeys>();
        services.AddSingleton<Console.ConsoleSessions>();
        AddHealth(services);
        services.AddSingleton<StoreAvailability>();
        builder.AddRekeyTelemetry();
        // Anything the framework writes as JSON by itself escapes like our own answers (see WireJson).
        services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, WireJson.Context);
            o.SerializerOptions.Encoder = WireJson.Encoder;
        });
        services.AddOpenApi(o =>
        {
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "Rekey";
                document.Info.Description = "Authlete API v3 client-secret and client-management endpoints, self-hosted. Result codes: docs/result-codes.md.";
                return Task.CompletedTask;
            });
            o.AddOperationTransformer(EndpointDocs.DescribeRouteParameters);
        });
        return builder;
    }

    /// <summary>The checks behind /health/live and /health/ready (<see cref="HealthApi"/>).</summary>
    private static void AddHealth(IServiceCollection services)
    {
        services.AddSingleton<Readiness>();
        services.AddHealthChecks().AddCheck<StoreHealthCheck>("store", tags: [HealthApi.ReadyTag]);
    }

    /// <summary>
    /// Kestrel parses the addresses only when it binds, after the data directory, key file and database were prepared:
    /// a typo in <c>--urls</c> is refused here, before anything is created.
    /// </summary>
    private static void CheckUrls(string? urls)
    {
        foreach (var url in (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try
            {
                BindingAddress.Parse(url);
            }
            catch (FormatException ex)
            {
                throw new StartupFailure($"invalid configuration: {ex.Message} (--urls or ASPNETCORE_URLS)", ex);
            }
        }
    }

    /// <summary>
    /// The request target can carry a secret in its query (a client that sends <c>client_secret</c> in the URL). Two
    /// framework categories log it: the hosting diagnostics ("Request starting GET …?query", Information) and Kestrel's
    /// bad-request details (the raw request line, Debug). These rules are added after the configuration's, for every
    /// provider the configuration names and for all providers, so no configuration turns those lines back on.
    /// </summary>
    private static void NeverLogRequestTargets(LoggerFilterOptions options)
    {
        foreach (var provider in options.Rules.Select(r => r.ProviderName).Append(null).Distinct().ToList())
        {
            options.Rules.Add(new LoggerFilterRule(provider, "Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning, null));
            options.Rules.Add(new LoggerFilterRule(provider, "Microsoft.AspNetCore.Server.Kestrel.BadRequests", LogLevel.Information, null));
        }
    }

    private static KeyRing LoadKeyRing(RekeyOptions options, DataDirectory dataDirectory, ILogger logger)
    {
        KeyRing ring;
        string source;
        if (options.MasterKeys.Count > 0)
        {
            ring = new KeyRing(options.MasterKeys.Select(KeyRing.ParseEntry).ToList());
            source = "configuration";
        }
        else
        {
            source = dataDirectory.PathOf("master.key");
            ring = KeyRing.FromFile(source);
        }

        Log.KeyRingLoaded(logger, ring.Keys.Count, string.Join(", ", ring.Keys.Select(k => k.Id)), ring.UnsavedFile is null ? source : source + ", not written yet");
        return ring;
    }

    private static IRekeyStore CreateStore(RekeyOptions options, DataDirectory dataDirectory, SecretCipher cipher, TimeProvider time, ILoggerFactory loggers)
    {
        var connectionString = options.Storage.ConnectionString ?? "";
        if (connectionString.Length == 0 && options.Storage.Provider.Equals("sqlite", StringComparison.OrdinalIgnoreCase))
        {
            connectionString = $"Data Source={dataDirectory.PathOf("rekey.db")}";
        }

        var store = options.Storage.Provider.ToLowerInvariant() switch
        {
            "sqlite" => RekeyStore.Sqlite(connectionString, options.Storage.SqliteSynchronous, cipher, time, options.Storage.SqliteWriteQueueLimit),
            "postgres" => RekeyStore.Postgres(connectionString, cipher, time, loggers.CreateLogger<PostgresEngine>()),
            var other => throw new OptionsValidationException(RekeyOptions.Section, typeof(RekeyOptions), [$"Storage provider '{other}' is not available."]),
        };
        store.SecretPrefix = options.Leaks.SecretPrefix;
        return store;
    }

    public static WebApplication MapRekey(this WebApplication app)
    {
        app.UseRekeyForwardedHeaders();
        app.Use(SafeHeaders);
        app.UseExceptionHandler(app.Services.GetRequiredService<UnhandledErrors>().HandlerOptions);
        app.UseStatusCodePages(WriteStatusCodeAsync);
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapGet("/healthz", HealthAsync).WithName("healthz").WithSummary("200 once the store answers, 503 otherwise.").ExcludeFromDescription();
        app.MapHealth();

        var api = app.MapGroup("/api").RequireRekeyToken();
        api.MapServices();
        api.MapClients();
        api.MapClientExtensions();
        api.MapClientSecrets();
        api.MapApiTokens();
        api.MapWebhooks();
        api.MapLeaks();
        Registration.RegistrationApi.MapRegistration(api);
        api.MapAudit();
        api.MapKeys();
        api.MapServiceDiscovery();
        api.MapAuthleteAuth();
        app.MapOAuth();
        Registration.RegistrationEndpoint.MapRegistrationEndpoints(app);
        app.MapGitHubLeaks();
        app.MapConsole();
        app.MapRekeyTelemetry();
        return app;
    }

    /// <summary>
    /// Every answer outside the console is JSON that no browser may read as anything else (<c>nosniff</c>), which is
    /// what lets <see cref="WireJson"/> leave quotes and angle brackets unescaped. Every /api answer, refusals and
    /// failures included, may carry a secret or says something about one: no cache keeps it (the /oauth2 endpoints set
    /// the same headers themselves, as RFC 6749 asks). The console's pages may show a secret once: no cache keeps them
    /// either, and they run no script but the console's own file, in no frame, and send no referrer. Set before anything
    /// else runs; the exception handler replaces the cache headers with its own <c>no-cache,no-store</c>.
    /// </summary>
    private static Task SafeHeaders(HttpContext http, RequestDelegate next)
    {
        var headers = http.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        if (http.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase))
        {
            headers.CacheControl = "no-store";
            headers.Pragma = "no-cache";
        }
        else if (http.Request.Path.StartsWithSegments("/console", StringComparison.OrdinalIgnoreCase))
        {
            ConsoleHeaders(headers, cacheable: http.Request.Path.StartsWithSegments("/console/static", StringComparison.OrdinalIgnoreCase));
        }

        return next(http);
    }

    /// <summary>The console's headers; its static files (hashed URLs, no secrets) may be cached, nothing else.</summary>
    public static void ConsoleHeaders(IHeaderDictionary headers, bool cacheable = false)
    {
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = ConsoleContentSecurityPolicy;
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        if (!cacheable)
        {
            headers.CacheControl = "no-store";
            headers.Pragma = "no-cache";
        }
    }

    /// <summary>The console's pages: its own stylesheet, script and icon, no inline script or style, forms only to itself, never framed.</summary>
    public const string ConsoleContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>Unknown paths and wrong methods answer with a result code too, never a plain-text page.</summary>
    private static Task WriteStatusCodeAsync(StatusCodeContext context)
    {
        var http = context.HttpContext;
        var path = http.Request.Path.Value ?? "/";
        var shown = path.Length > 200 ? path[..200] : path;
        var violation = http.Response.StatusCode switch
        {
            404 => RuleViolation.Of(ResultCodes.NoSuchEndpoint, shown),
            405 => RuleViolation.Of(ResultCodes.MethodNotAllowed, http.Request.Method, shown),
            // A route or query parameter that does not parse (?pretty=maybe): the generated request delegates answer a
            // bare 400 whatever RouteHandlerOptions.ThrowOnBadRequest says; the value is not quoted, it may be anything.
            400 => RuleViolation.Of(ResultCodes.BadRequest, "a route or query parameter has a value of the wrong type"),
            _ => null,
        };
        return violation is null ? Task.CompletedTask : AuthleteResults.WriteAsync(http, violation);
    }

    private static async Task<IResult> HealthAsync(IRekeyStore store, CancellationToken ct) =>
        await store.PingAsync(ct)
            ? Results.Json(new Dictionary<string, string> { ["status"] = "ok" }, WireJson.Context.DictionaryStringString)
            : Results.Json(new Dictionary<string, string> { ["status"] = "unavailable" }, WireJson.Context.DictionaryStringString, statusCode: 503);
}
