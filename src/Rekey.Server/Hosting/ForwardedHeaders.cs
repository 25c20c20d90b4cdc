using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Rekey.Server.Hosting;

/// <summary>
/// <c>Rekey:ForwardedHeaders</c> applied: behind a listed proxy, the client's address (audit events, the failed
/// authentication limiter), scheme and host (issuers and metadata URLs, unless <c>Rekey:PublicBaseUrl</c> is set) come
/// from <c>X-Forwarded-For</c>, <c>-Proto</c> and <c>-Host</c>. ASP.NET Core's defaults (loopback trusted) are cleared:
/// only the listed proxies are believed, so a process on the same machine cannot claim another address unless loopback
/// is listed; with nothing listed the middleware is not added at all.
/// </summary>
internal static class ForwardedHeaders
{
    /// <summary>What is wrong with the settings, one line each (none: they are usable).</summary>
    public static IEnumerable<string> Check(ForwardedHeadersSettings settings)
    {
        foreach (var proxy in settings.KnownProxies)
        {
            if (ParseAddress(proxy) is null)
            {
                yield return $"Rekey:ForwardedHeaders:KnownProxies entries must be IP addresses such as 10.0.0.1 (got '{Http.UntrustedText.Printable(proxy)}').";
            }
        }

        foreach (var network in settings.KnownNetworks)
        {
            if (ParseNetwork(network) is null)
            {
                yield return $"Rekey:ForwardedHeaders:KnownNetworks entries must be networks in CIDR notation such as 10.0.0.0/8, without host bits (got '{Http.UntrustedText.Printable(network)}').";
            }
        }
    }

    /// <summary>Adds the forwarded-headers middleware first in the pipeline when proxies are configured.</summary>
    public static WebApplication UseRekeyForwardedHeaders(this WebApplication app)
    {
        var settings = app.Services.GetRequiredService<IOptions<RekeyOptions>>().Value.ForwardedHeaders;
        if (!settings.Enabled)
        {
            return app;
        }

        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedFor
                | Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedProto
                | Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedHost,
            // Walk back through X-Forwarded-For while each hop is a listed proxy (a load balancer in front of nginx):
            // the first address that is not one is the client.
            ForwardLimit = null,
        };
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var proxy in settings.KnownProxies)
        {
            options.KnownProxies.Add(ParseAddress(proxy) ?? throw new InvalidOperationException("Validated at start."));
        }

        foreach (var network in settings.KnownNetworks)
        {
            options.KnownIPNetworks.Add(ParseNetwork(network) ?? throw new InvalidOperationException("Validated at start."));
        }

        app.UseForwardedHeaders(options);
        return app;
    }

    /// <summary>
    /// <c>address/prefix</c> whose address has no bits past the prefix: <c>10.0.0.1/8</c> is more likely a typo for one
    /// proxy than a wish to trust 16 million addresses, and IPNetwork would quietly read it as <c>10.0.0.0/8</c>.
    /// </summary>
    private static System.Net.IPNetwork? ParseNetwork(string text)
    {
        var trimmed = text.Trim();
        return trimmed.Split('/') is [var address, _] && ParseAddress(address) is { } parsed
            && System.Net.IPNetwork.TryParse(trimmed, out var network) && network.BaseAddress.Equals(parsed)
            ? network
            : null;
    }

    /// <summary>An IPv4 address in dotted form or an IPv6 address; not the shorthands IPAddress also reads ("10" is 0.0.0.10).</summary>
    private static IPAddress? ParseAddress(string text)
    {
        var trimmed = text.Trim();
        return (trimmed.Contains(':', StringComparison.Ordinal) || trimmed.Count(c => c == '.') == 3) && IPAddress.TryParse(trimmed, out var address) ? address : null;
    }
}
