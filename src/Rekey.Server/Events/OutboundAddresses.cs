using System.Net;

namespace Rekey.Server.Events;

/// <summary>
/// Where Rekey may send a webhook. A webhook URL is chosen by whoever registers it, and the server then POSTs to it from
/// inside the operator's network: without these rules it would reach the loopback admin port, a cloud metadata service
/// (169.254.169.254) or a database on the private network (server-side request forgery). Private networks are allowed
/// only when the operator says so, for a receiver next to the server.
/// </summary>
internal static class OutboundAddresses
{
    /// <summary>The longest webhook URL taken: longer ones are not addresses people type, and they are stored and shown.</summary>
    public const int MaxUrlLength = 2048;

    // IPv4 ranges that are not somebody's public host (IANA special-purpose registry, RFC 6890 and successors).
    private static readonly IPNetwork[] NonPublicV4 =
    [
        IPNetwork.Parse("0.0.0.0/8"),          // "this network"; 0.0.0.0 reaches the local host on Linux
        IPNetwork.Parse("10.0.0.0/8"),         // private
        IPNetwork.Parse("100.64.0.0/10"),      // carrier-grade NAT, the provider's own network
        IPNetwork.Parse("127.0.0.0/8"),        // loopback
        IPNetwork.Parse("169.254.0.0/16"),     // link-local, where cloud metadata services answer
        IPNetwork.Parse("172.16.0.0/12"),      // private
        IPNetwork.Parse("192.0.0.0/24"),       // IETF protocol assignments
        IPNetwork.Parse("192.0.2.0/24"),       // documentation (TEST-NET-1)
        IPNetwork.Parse("192.88.99.0/24"),     // deprecated 6to4 relay anycast
        IPNetwork.Parse("192.168.0.0/16"),     // private
        IPNetwork.Parse("198.18.0.0/15"),      // benchmarking
        IPNetwork.Parse("198.51.100.0/24"),    // documentation (TEST-NET-2)
        IPNetwork.Parse("203.0.113.0/24"),     // documentation (TEST-NET-3)
        IPNetwork.Parse("224.0.0.0/4"),        // multicast
        IPNetwork.Parse("240.0.0.0/4"),        // reserved, and 255.255.255.255 broadcast
    ];

    // Only global unicast is public in IPv6: loopback, unspecified, link-local, site-local, unique-local (fc00::/7),
    // multicast and the discard prefix all lie outside it. The forms that carry an IPv4 address are judged by that address.
    private static readonly IPNetwork GlobalUnicast = IPNetwork.Parse("2000::/3");
    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    private static readonly IPNetwork[] NonPublicGlobalV6 =
    [
        IPNetwork.Parse("2001::/23"),          // IETF protocol assignments, Teredo (2001::/32) among them
        IPNetwork.Parse("2001:db8::/32"),      // documentation
        IPNetwork.Parse("3fff::/20"),          // documentation (RFC 9637)
    ];

    /// <summary>
    /// Whether <paramref name="address"/> is a public unicast address: not loopback, private, shared (CGNAT),
    /// link-local, unique-local, multicast, broadcast, reserved, unspecified or documentation. An IPv6 address that
    /// embeds an IPv4 one (mapped <c>::ffff:a.b.c.d</c>, NAT64 <c>64:ff9b::a.b.c.d</c>, 6to4 <c>2002:AABB:CCDD::</c>) is
    /// as public as the IPv4 address it reaches; the deprecated IPv4-compatible form <c>::a.b.c.d</c>, the local-use NAT64
    /// prefix and every other address outside global unicast are not public.
    /// </summary>
    public static bool IsPublic(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.AddressFamily switch
        {
            System.Net.Sockets.AddressFamily.InterNetwork => IsPublicV4(address),
            System.Net.Sockets.AddressFamily.InterNetworkV6 => IsPublicV6(address),
            _ => false,
        };
    }

    /// <summary>
    /// Null when <paramref name="url"/> may be a webhook URL, else why not, in a few words for a 400 answer (the URL
    /// itself is never repeated: it might hold a password). Taken: an absolute https URL of at most
    /// <see cref="MaxUrlLength"/> characters, with a host, without user name, password or fragment; http too, and a host
    /// that is a loopback, private or reserved IP literal or a <c>localhost</c> name, only when
    /// <paramref name="allowPrivateNetworks"/>. A host name is not resolved here: what it resolves to is checked on
    /// every connection (<see cref="WebhookSender"/>), since the answer may change after registration.
    /// </summary>
    public static string? ValidateUrl(string url, bool allowPrivateNetworks)
    {
        if (string.IsNullOrEmpty(url))
        {
            return "the URL is empty";
        }

        if (url.Length > MaxUrlLength)
        {
            return $"the URL is longer than {MaxUrlLength} characters";
        }

        // Uri would quietly trim or escape these; a URL that needs it was not meant as given.
        if (url.AsSpan().ContainsAnyInRange('\0', ' ') || url.Contains('\u007F', StringComparison.Ordinal))
        {
            return "the URL holds a space or control character";
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return "the URL is not a valid absolute URL";
        }

        if (uri.Scheme != Uri.UriSchemeHttps && !(allowPrivateNetworks && uri.Scheme == Uri.UriSchemeHttp))
        {
            return allowPrivateNetworks ? "the URL's scheme must be https or http" : "the URL's scheme must be https";
        }

        // Credentials in a URL end up in logs, audit records and list answers.
        if (uri.UserInfo.Length > 0 || RawAuthority(url).Contains('@'))
        {
            return "the URL must not hold a user name or password";
        }

        // A fragment is never sent; a URL with one was meant for a browser.
        if (url.Contains('#', StringComparison.Ordinal))
        {
            return "the URL must not have a fragment";
        }

        var host = uri.IdnHost;
        if (host.Length == 0)
        {
            return "the URL has no host";
        }

        if (allowPrivateNetworks)
        {
            return null;
        }

        if (uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6)
        {
            return IPAddress.TryParse(uri.DnsSafeHost, out var address) && IsPublic(address)
                ? null
                : "the URL's host is a loopback, private or reserved address";
        }

        var name = host.TrimEnd('.');
        if (name.Equals("localhost", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return "the URL's host is a loopback name";
        }

        return null;
    }

    // The authority as written, before Uri reads it: "https://@host/" has an empty user name that Uri does not report.
    private static ReadOnlySpan<char> RawAuthority(string url)
    {
        var start = url.IndexOf("://", StringComparison.Ordinal);
        if (start < 0)
        {
            return [];
        }

        var rest = url.AsSpan(start + 3);
        var end = rest.IndexOfAny("/?#\\");
        return end < 0 ? rest : rest[..end];
    }

    private static bool IsPublicV4(IPAddress address)
    {
        foreach (var network in NonPublicV4)
        {
            if (network.Contains(address))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsPublicV6(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6 || Nat64.Contains(address))
        {
            return IsPublicV4(LastFourBytes(address));
        }

        if (SixToFour.Contains(address))
        {
            Span<byte> bytes = stackalloc byte[16];
            address.TryWriteBytes(bytes, out _);
            return IsPublicV4(new IPAddress(bytes.Slice(2, 4)));
        }

        if (!GlobalUnicast.Contains(address))
        {
            return false;
        }

        foreach (var network in NonPublicGlobalV6)
        {
            if (network.Contains(address))
            {
                return false;
            }
        }

        return true;
    }

    private static IPAddress LastFourBytes(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        return new IPAddress(bytes[12..]);
    }
}
