using System.CommandLine;

namespace Rekey.Cli;

internal static partial class Commands
{
    /// <summary>After an unknown outcome (A000104): the keys say whether a rotation was made; finish it with reencrypt.</summary>
    private const string ReadBackKeys = "the data keys (rekey keys list; finish an interrupted rotation with rekey keys reencrypt)";

    private static Command Keys(Session session)
    {
        var yes = Yes();
        var rotate = new Command("rotate",
            "Add a data encryption key and re-encrypt every stored value under it (organisation token). " +
            "If it is interrupted, finish with 'rekey keys reencrypt'.") { yes };
        rotate.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var client = session.Client(parse);
            session.Confirm(parse, yes, "This re-encrypts every stored secret under a new data key");
            return session.Print(parse, await client.RotateDataKeyAsync(ct), Show.DataKeys, readBack: ReadBackKeys);
        }, ct));

        var reencrypt = new Command("reencrypt",
            "Finish an interrupted rotation: re-encrypt under the current key what is still under older ones (organisation token)");
        reencrypt.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
            session.Print(parse, await session.Client(parse).ReencryptStoredValuesAsync(ct), Show.DataKeys, readBack: ReadBackKeys), ct));

        var list = new Command("list", "List the data encryption keys and how many stored values each seals, and the master keys that wrap them (organisation token; never key material)");
        list.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
            session.Print(parse, await session.Client(parse).ListDataKeysAsync(ct), Show.DataKeys), ct));

        var rewrap = new Command("rewrap",
            "Wrap every data key under every master key configured on the server as well: puts a newly configured master key to use " +
            "(organisation token). Older wrappings stay until 'rekey keys retire'. Save the new master key before you run it.");
        rewrap.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
            session.Print(parse, await session.Client(parse).RewrapDataKeysAsync(ct), Show.DataKeys, readBack: ReadBackKeys), ct));

        var masterKeyId = new Argument<string>("master-key-id") { Description = "The ID of the master key to retire" };
        var retireYes = Yes();
        var retire = new Command("retire",
            "Retire a master key: delete its wrappings of the data keys (organisation token). Refused while a data key would open with " +
            "no other master key configured on the server.") { masterKeyId, retireYes };
        retire.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var client = session.Client(parse);
            var id = parse.GetValue(masterKeyId) ?? "";
            session.Confirm(parse, retireYes, $"This deletes master key {id}'s wrappings of the data keys");
            return session.Print(parse, await client.RetireMasterKeyAsync(id, ct), Show.DataKeys, readBack: ReadBackKeys);
        }, ct));

        return new Command("keys", "Manage the keys that seal stored secrets: data keys and the master keys that wrap them (organisation token)")
        {
            rotate, reencrypt, list, rewrap, retire,
        };
    }

    private static Command SigningKey(Session session)
    {
        var rotate = new Command("rotate",
            "Give the service given by --service a new ES256 key for its access tokens (permission service.write): published in the JWKS now, " +
            "signing from its ACTIVATES time; the key it replaces stays published until the tokens it signed have expired")
        {
            session.Service,
        };
        rotate.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var serviceId = session.ServiceId(parse);
            return session.Print(parse, await session.Client(parse).RotateSigningKeyAsync(serviceId, ct), Show.SigningKeys,
                readBack: "rekey signing-key list");
        }, ct));
        var list = new Command("list", "List the signing keys of the service given by --service, newest first, with their schedule (permission service.read)")
        {
            session.Service,
        };
        list.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
            session.Print(parse, await session.Client(parse).ListSigningKeysAsync(session.ServiceId(parse), ct), Show.SigningKeys), ct));
        return new Command("signing-key", "Manage the keys that sign the service's access tokens, and their schedule") { rotate, list };
    }
}
