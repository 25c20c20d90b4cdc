using Microsoft.Extensions.Options;
using Rekey.Server.Hosting;
using Rekey.Server.Secrets;

// Configuration is read once and validated at start; watching the content root for changes would wake a thread on
// every database write when the data directory lies inside it (measured in bench/README.md).
var builder = WebApplication.CreateBuilder([.. args, "--hostBuilder:reloadConfigOnChange=false"]);
builder.AddRekey();
var app = builder.Build();
app.MapRekey();

try
{
    await app.RunAsync();
}
catch (OptionsValidationException ex)
{
    // One clear line, before the server listens.
    await Console.Error.WriteLineAsync("rekey: invalid configuration: " + string.Join(" ", ex.Failures));
    return 1;
}
catch (StartupFailure ex)
{
    // A cause the operator can fix (master keys, schema version): the message is the whole story, without key material.
    await Console.Error.WriteLineAsync("rekey: " + ex.Message);
    return 1;
}
catch (SecretDecryptionException ex)
{
    // The configured master keys do not open the stored data keys: refuse to start rather than serve errors.
    await Console.Error.WriteLineAsync("rekey: cannot open the stored data keys with the configured master keys: " + ex.Message);
    return 1;
}

return 0;

/// <summary>Entry point; public so that tests can host the real application.</summary>
public partial class Program;
