using Microsoft.Extensions.Options;

namespace Rekey.Server.Telemetry;

/// <summary>Refuses, at start and in one line, a telemetry configuration that would export nowhere.</summary>
internal sealed class TelemetryOptionsValidator : IValidateOptions<TelemetryOptions>
{
    public ValidateOptionsResult Validate(string? name, TelemetryOptions options)
    {
        var errors = new List<string>();
        if (options.Otlp.Endpoint is { } endpoint && (!endpoint.IsAbsoluteUri || endpoint.Scheme is not ("http" or "https")))
        {
            errors.Add($"{TelemetryOptions.Section}:Otlp:Endpoint must be an absolute http or https URL.");
        }

        if (options.Otlp.Protocol is not ("grpc" or "http/protobuf"))
        {
            errors.Add($"{TelemetryOptions.Section}:Otlp:Protocol must be grpc or http/protobuf.");
        }

        if (string.IsNullOrWhiteSpace(options.ServiceName))
        {
            errors.Add($"{TelemetryOptions.Section}:ServiceName must not be empty.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
