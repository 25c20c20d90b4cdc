using Microsoft.Extensions.Options;
using Rekey.Server.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddRekey();
var app = builder.Build();
app.MapRekey();

try
{
    await app.InitializeRekeyAsync();
}
catch (OptionsValidationException ex)
{
    // One clear line, before the server listens.
    await Console.Error.WriteLineAsync("rekey: invalid configuration: " + string.Join(" ", ex.Failures));
    return 1;
}

await app.RunAsync();
return 0;

/// <summary>Entry point; public so that tests can host the real application.</summary>
public partial class Program;
