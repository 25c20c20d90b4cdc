using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Rekey.Contracts;
using Rekey.Sdk.Sample;

namespace Rekey.Sdk.Tests.Sdk;

public sealed class RegistrationTests(SqliteServerFixture fixture) : SdkTestBase(fixture)
{
    [Fact]
    public async Task AddRekeyClient_registers_a_typed_client_that_talks_to_the_server()
    {
        var services = new ServiceCollection();
        services.AddRekeyClient(o =>
        {
            o.BaseAddress = Host.BaseAddress;
            o.Token = RekeyHost.AdminToken;
        });
        await using var provider = services.BuildServiceProvider();

        var rekey = provider.GetRequiredService<RekeyClient>();
        var created = await rekey.CreateServiceAsync(new ServiceDocument { ServiceName = "from DI" });

        Assert.True(created.IsSuccess, created.ToString());
        Assert.Equal(new Uri(Host.BaseAddress, "/"), rekey.BaseAddress);
    }

    [Fact]
    public async Task AddRekeyClient_without_a_base_address_fails_when_resolved()
    {
        var services = new ServiceCollection();
        services.AddRekeyClient(o => o.Token = "t");
        await using var provider = services.BuildServiceProvider();

        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<RekeyClient>());
    }

    [Fact]
    public async Task the_sample_creates_a_client_and_rotates_its_secret()
    {
        var serviceId = await Admin.CreateServiceAsync("""{"serviceName":"sample"}""");
        using var log = new StringWriter();

        var exitCode = await RotationSample.RunAsync(Rekey, serviceId, log);

        Assert.True(exitCode == 0, log.ToString());
        Assert.Contains("refused locally: A149205 (local: True)", log.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("billing_2026-11_rotation", log.ToString(), StringComparison.Ordinal);
        var clients = await Rekey.ListClientsAsync(serviceId);
        Assert.Equal("billing_2026-11_rotation", Assert.Single(clients.Value?.Clients ?? []).ClientSecret);
    }
}
