using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Rekey.Sdk;
using Rekey.Sdk.Sample;

// Usage: REKEY_URL=http://127.0.0.1:5080 REKEY_TOKEN=... REKEY_SERVICE=<service id> dotnet run --project samples/Rekey.Sdk.Sample
var services = new ServiceCollection();
services.AddRekeyClient(options =>
{
    options.BaseAddress = new Uri(Environment.GetEnvironmentVariable("REKEY_URL") ?? "http://127.0.0.1:5080");
    options.Token = Environment.GetEnvironmentVariable("REKEY_TOKEN");
});

await using var provider = services.BuildServiceProvider();
var rekey = provider.GetRequiredService<RekeyClient>();
if (!long.TryParse(Environment.GetEnvironmentVariable("REKEY_SERVICE"), NumberStyles.None, CultureInfo.InvariantCulture, out var serviceId))
{
    await Console.Error.WriteLineAsync("Set REKEY_SERVICE to a service ID.");
    return 2;
}

return await RotationSample.RunAsync(rekey, serviceId, Console.Out);
