using Microsoft.EntityFrameworkCore;
using Rekey.Bench.Peer;

// OpenIddict 7 as the peer of Rekey's token endpoint: one confidential client, client-credentials grant,
// client_secret_basic, the application manager's default secret hashing and validation, EF Core over SQLite.
// Configuration (command line or environment):
//   Peer:Database      path of the SQLite file (created)            Peer:ClientId / Peer:ClientSecret  the client
//   Peer:TokenStorage  true (OpenIddict's default) | false          Peer:EncryptAccessTokens  true (default) | false
var builder = WebApplication.CreateBuilder(args);
var settings = PeerSettings.From(builder.Configuration);
builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
builder.Services.AddDbContext<PeerDbContext>(o =>
{
    o.UseSqlite($"Data Source={settings.Database}");
    o.UseOpenIddict();
});
builder.Services.AddPeerOpenIddict(settings);

var app = builder.Build();
app.UseAuthentication();
app.MapGet("/healthz", () => Results.Text("ok"));
app.MapGet("/peer/info", PeerEndpoints.InfoAsync);
app.MapPost(PeerEndpoints.TokenPath, PeerEndpoints.Token);
await PeerSetup.SeedAsync(app.Services, settings);
await app.RunAsync();
