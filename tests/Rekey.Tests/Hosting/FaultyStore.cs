using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Rekey.Server.Storage;

namespace Rekey.Tests.Hosting;

/// <summary>
/// The server's real store behind a proxy that throws the exception <see cref="Install"/> was given for the calls it
/// chooses, and forwards every other call. Stands in for an outage or a bug in one request, with everything else working.
/// </summary>
public class FaultyStore : DispatchProxy
{
    private const string InnerKey = "faulty-store-inner";

    private IRekeyStore? _inner;
    private Func<MethodInfo, object?[], Exception?> _fault = (_, _) => null;

    /// <summary>Replaces the server's store; <paramref name="fault"/> sees each call (method, arguments) and returns what to throw, or null.</summary>
    internal static void Install(IServiceCollection services, Func<MethodInfo, object?[], Exception?> fault)
    {
        var original = services.Last(d => d.ServiceType == typeof(IRekeyStore));
        var factory = original.ImplementationFactory ?? throw new InvalidOperationException("The server registers its store through a factory.");
        services.Remove(original);
        // Keyed, so that the container still disposes the real store.
        services.AddKeyedSingleton(InnerKey, (sp, _) => (IRekeyStore)factory(sp));
        services.AddSingleton(sp =>
        {
            var proxy = Create<IRekeyStore, FaultyStore>();
            var faulty = (FaultyStore)(object)proxy;
            faulty._inner = sp.GetRequiredKeyedService<IRekeyStore>(InnerKey);
            faulty._fault = fault;
            return proxy;
        });
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (_fault(targetMethod, args ?? []) is { } error)
        {
            throw error;
        }

        return targetMethod.Invoke(_inner, BindingFlags.DoNotWrapExceptions, binder: null, args, culture: null);
    }
}
