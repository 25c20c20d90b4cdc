using System.Net;
using Rekey.Server.Events;

namespace Rekey.Tests.Events;

/// <summary>Which addresses and URLs a webhook may go to.</summary>
public sealed class OutboundAddressesTests
{
    public static TheoryData<string> NotPublic => new()
    {
        // IPv4
        "0.0.0.0", "0.1.2.3",
        "10.0.0.1", "10.255.255.255",
        "100.64.0.1", "100.127.255.254",
        "127.0.0.1", "127.255.255.254", "127.0.1.1",
        "169.254.0.1", "169.254.169.254",
        "172.16.0.1", "172.31.255.255",
        "192.0.0.8", "192.0.2.1", "192.88.99.1",
        "192.168.0.1", "192.168.255.255",
        "198.18.0.1", "198.19.255.255", "198.51.100.7", "203.0.113.9",
        "224.0.0.1", "239.255.255.250",
        "240.0.0.1", "255.255.255.254", "255.255.255.255",
        // IPv6
        "::", "::1",
        "fe80::1", "febf:ffff::1", "fec0::1",
        "fc00::1", "fd12:3456:789a::1",
        "ff02::1", "ff05::1:3", "ff0e::1",
        "100::1",
        "2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:10::1", "2001:db8::1", "3fff::1",
        // IPv4 inside IPv6
        "::ffff:127.0.0.1", "::ffff:10.1.2.3", "::ffff:169.254.169.254", "::ffff:0.0.0.0", "::ffff:255.255.255.255",
        "::127.0.0.1", "::10.0.0.1", "::8.8.8.8",
        "::ffff:0:7f00:1",
        "64:ff9b::10.0.0.1", "64:ff9b::127.0.0.1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::8.8.8.8",
        "2002:7f00:1::", "2002:a00:1::1", "2002:a9fe:a9fe::1",
    };

    public static TheoryData<string> Public => new()
    {
        "1.1.1.1", "8.8.8.8", "9.9.9.9", "11.0.0.1",
        "100.63.255.255", "100.128.0.0",
        "126.255.255.255", "128.0.0.1",
        "169.253.255.255", "169.255.0.1",
        "172.15.255.255", "172.32.0.0",
        "192.167.255.255", "192.169.0.0",
        "198.17.255.255", "198.20.0.0",
        "223.255.255.255",
        "2606:4700:4700::1111", "2001:4860:4860::8888", "2a00:1450:4001::1", "2001:200::1",
        "::ffff:8.8.8.8", "64:ff9b::8.8.8.8", "2002:808:808::1",
    };

    [Theory]
    [MemberData(nameof(NotPublic))]
    public void loopback_private_shared_link_local_multicast_reserved_and_documentation_addresses_are_not_public(string address) =>
        Assert.False(OutboundAddresses.IsPublic(IPAddress.Parse(address)), address);

    [Theory]
    [MemberData(nameof(Public))]
    public void global_unicast_addresses_are_public_also_next_to_the_ranges_that_are_not(string address) =>
        Assert.True(OutboundAddresses.IsPublic(IPAddress.Parse(address)), address);

    [Fact]
    public void a_link_local_address_with_a_scope_is_not_public()
    {
        Assert.False(OutboundAddresses.IsPublic(IPAddress.Parse("fe80::1%2")));
    }

    public static TheoryData<string, bool, string?> Urls => new()
    {
        // Taken
        { "https://example.com/hook", false, null },
        { "https://example.com", false, null },
        { "https://example.com:8443/a/b?x=1&y=%20", false, null },
        { "https://hooks.example.com./hook", false, null },
        { "https://bücher.example/hook", false, null },
        { "https://8.8.8.8/hook", false, null },
        { "https://[2606:4700:4700::1111]/hook", false, null },
        { "https://localhost.example.com/hook", false, null },
        { "https://example.com/" + new string('a', 2048 - "https://example.com/".Length), false, null },
        // Refused
        { "", false, "the URL is empty" },
        { "https://example.com/" + new string('a', 2049 - "https://example.com/".Length), false, "the URL is longer than 2048 characters" },
        { "https://example.com/a b", false, "the URL holds a space or control character" },
        { " https://example.com/", false, "the URL holds a space or control character" },
        { "https://example.com/\n", false, "the URL holds a space or control character" },
        { "https://example.com/\u007F", false, "the URL holds a space or control character" },
        { "example.com/hook", false, "the URL is not a valid absolute URL" },
        { "https://example.com:99999/", false, "the URL is not a valid absolute URL" },
        { "http://example.com/hook", false, "the URL's scheme must be https" },
        { "ftp://example.com/", false, "the URL's scheme must be https" },
        { "file:///etc/passwd", false, "the URL's scheme must be https" },
        { "https://user:pass@example.com/", false, "the URL must not hold a user name or password" },
        { "https://user@example.com/", false, "the URL must not hold a user name or password" },
        { "https://:@example.com/", false, "the URL must not hold a user name or password" },
        { "https://@example.com/", false, "the URL must not hold a user name or password" },
        { "https://example.com/hook#part", false, "the URL must not have a fragment" },
        { "https://example.com/hook#", false, "the URL must not have a fragment" },
        { "https://127.0.0.1/hook", false, "the URL's host is a loopback, private or reserved address" },
        { "https://127.1/hook", false, "the URL's host is a loopback, private or reserved address" },
        { "https://2130706433/hook", false, "the URL's host is a loopback, private or reserved address" },
        { "https://0x7f000001/hook", false, "the URL's host is a loopback, private or reserved address" },
        { "https://0177.0.0.1/hook", false, "the URL's host is a loopback, private or reserved address" },
        { "https://10.0.0.1/hook", false, "the URL's host is a loopback, private or reserved address" },
        { "https://169.254.169.254/latest/meta-data/", false, "the URL's host is a loopback, private or reserved address" },
        { "https://0.0.0.0/hook", false, "the URL's host is a loopback, private or reserved address" },
        { "https://[::1]/hook", false, "the URL's host is a loopback, private or reserved address" },
        { "https://[::ffff:127.0.0.1]/hook", false, "the URL's host is a loopback, private or reserved address" },
        { "https://[fd00::1]/hook", false, "the URL's host is a loopback, private or reserved address" },
        { "https://[fe80::1%25eth0]/hook", false, "the URL's host is a loopback, private or reserved address" },
        { "https://localhost/hook", false, "the URL's host is a loopback name" },
        { "https://LOCALHOST./hook", false, "the URL's host is a loopback name" },
        { "https://api.localhost/hook", false, "the URL's host is a loopback name" },
        // With private networks allowed
        { "http://127.0.0.1:8080/hook", true, null },
        { "http://[::1]/hook", true, null },
        { "https://localhost/hook", true, null },
        { "http://10.0.0.1/hook", true, null },
        { "https://example.com/hook", true, null },
        { "ftp://127.0.0.1/", true, "the URL's scheme must be https or http" },
        { "http://user:pass@127.0.0.1/", true, "the URL must not hold a user name or password" },
        { "http://127.0.0.1/hook#part", true, "the URL must not have a fragment" },
    };

    [Theory]
    [MemberData(nameof(Urls))]
    public void a_webhook_url_is_taken_or_refused_with_a_reason(string url, bool allowPrivateNetworks, string? reason) =>
        Assert.Equal(reason, OutboundAddresses.ValidateUrl(url, allowPrivateNetworks));

    [Fact]
    public void a_refusal_never_repeats_the_url()
    {
        const string url = "https://alice:hunter2@example.com/hook";

        var reason = OutboundAddresses.ValidateUrl(url, allowPrivateNetworks: false);

        Assert.NotNull(reason);
        Assert.DoesNotContain("hunter2", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("example.com", reason, StringComparison.Ordinal);
    }
}
