using System.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Rekey.Server.Hosting;
using Rekey.Server.Storage;
using Rekey.Server.Storage.Sqlite;

namespace Rekey.Server.Telemetry;

/// <summary>
/// OpenTelemetry for Rekey: traces (ASP.NET Core, HttpClient, Npgsql, one span per store unit of work) and metrics
/// (Rekey's own, the SQLite writer's, ASP.NET Core's and Kestrel's, HttpClient's, Npgsql's), exported over OTLP and/or
/// scraped at <c>/metrics</c>. Nothing is registered unless <c>Rekey:Telemetry</c> asks for an exporter.
/// </summary>
internal static class TelemetryHosting
{
    public const string MetricsPath = "/metrics";

    public static WebApplicationBuilder AddRekeyTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<TelemetryOptions>, TelemetryOptionsValidator>();
        var options = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        if (!options.Enabled)
        {
            return builder;
        }

        builder.Services.AddHostedService<SecretGauges>();
        var otel = builder.Services.AddOpenTelemetry().ConfigureResource(r => r.AddService(options.ServiceName));
        otel.WithTracing(tracing =>
        {
            tracing.AddSource(RekeyStore.ActivitySourceName)
                .AddAspNetCoreInstrumentation(o =>
                {
                    // A query may carry a client_secret (a client that sends it in the URL): never in a span, not even
                    // redacted. Scrapes of /metrics are not traced.
                    o.EnrichWithHttpRequest = (activity, _) => activity.SetTag("url.query", null);
                    o.Filter = http => !http.Request.Path.StartsWithSegments(MetricsPath, StringComparison.Ordinal);
                })
                .AddHttpClientInstrumentation(o => o.EnrichWithHttpRequestMessage = (activity, _) => RemoveQuery(activity))
                .AddNpgsql();
            if (options.Otlp.Endpoint is { } endpoint)
            {
                tracing.AddOtlpExporter(o => Configure(o, options.Otlp, endpoint, "v1/traces"));
            }
        });
        otel.WithMetrics(metrics =>
        {
            metrics.AddMeter(RekeyMetrics.MeterName, SqliteWriteQueue.MeterName)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddNpgsqlInstrumentation();
            if (options.Otlp.Endpoint is { } endpoint)
            {
                metrics.AddOtlpExporter(o => Configure(o, options.Otlp, endpoint, "v1/metrics"));
            }

            if (options.Prometheus.Enabled)
            {
                // Answered from what was collected at the scrape, not from a copy up to 300 ms old.
                metrics.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
            }
        });
        return builder;
    }

    public static WebApplication MapRekeyTelemetry(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value.Prometheus.Enabled)
        {
            app.MapPrometheusScrapingEndpoint(MetricsPath).ExcludeFromDescription();
        }

        return app;
    }

    private static void Configure(OtlpExporterOptions o, OtlpOptions options, Uri endpoint, string signalPath)
    {
        var http = options.Protocol == "http/protobuf";
        o.Protocol = http ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        // With HTTP the exporter takes the endpoint as the signal's full URL; the configured one is the collector's base.
        o.Endpoint = http ? new Uri(endpoint.AbsoluteUri.TrimEnd('/') + "/" + signalPath) : endpoint;
    }

    /// <summary>An outgoing URL's query (a webhook's token, say) stays out of spans.</summary>
    private static void RemoveQuery(Activity activity)
    {
        if (activity.GetTagItem("url.full") is string url && url.IndexOf('?', StringComparison.Ordinal) is var q and >= 0)
        {
            activity.SetTag("url.full", url[..q]);
        }
    }
}
