using Microsoft.Extensions.Options;
using Rekey.Sdk;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="RekeyClient"/> with the HTTP client factory.</summary>
public static class RekeyServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="RekeyClient"/> as a typed client (<see cref="IHttpClientFactory"/> manages the handlers)
    /// configured by <paramref name="configure"/>. Options are validated when the client is first resolved.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets <see cref="RekeyClientOptions.BaseAddress"/> and <see cref="RekeyClientOptions.Token"/>.</param>
    /// <returns>The HTTP client builder, to add handlers (resilience, logging) or set the timeout.</returns>
    public static IHttpClientBuilder AddRekeyClient(this IServiceCollection services, Action<RekeyClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<RekeyClientOptions>()
            .Configure(configure)
            .Validate(o => o.BaseAddress is { IsAbsoluteUri: true }, "RekeyClientOptions.BaseAddress must be an absolute http or https URL.");
        var builder = services.AddHttpClient(nameof(RekeyClient));
        builder.AddTypedClient(static (http, sp) => new RekeyClient(http, sp.GetRequiredService<IOptions<RekeyClientOptions>>().Value));
        return builder;
    }
}
