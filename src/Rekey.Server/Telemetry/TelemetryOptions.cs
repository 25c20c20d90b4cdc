namespace Rekey.Server.Telemetry;

/// <summary>
/// Configuration section <c>Rekey:Telemetry</c>. Off unless configured: no OpenTelemetry provider is built, and every
/// instrument and span source costs a flag check. docs/observability.md.
/// </summary>
internal sealed class TelemetryOptions
{
    public const string Section = "Rekey:Telemetry";

    /// <summary>The <c>service.name</c> resource attribute of everything exported.</summary>
    public string ServiceName { get; set; } = "rekey";

    public OtlpOptions Otlp { get; set; } = new();

    public PrometheusOptions Prometheus { get; set; } = new();

    public bool Enabled => Otlp.Endpoint is not null || Prometheus.Enabled;
}

internal sealed class OtlpOptions
{
    /// <summary>The collector's address (e.g. <c>http://127.0.0.1:4317</c>); set, it exports traces and metrics.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary><c>grpc</c> (default, port 4317) or <c>http/protobuf</c> (port 4318; the signal paths <c>/v1/traces</c> and <c>/v1/metrics</c> are added).</summary>
    public string Protocol { get; set; } = "grpc";
}

internal sealed class PrometheusOptions
{
    /// <summary>Serves <c>/metrics</c> on the main port, without authentication: keep it off the public network.</summary>
    public bool Enabled { get; set; }
}
