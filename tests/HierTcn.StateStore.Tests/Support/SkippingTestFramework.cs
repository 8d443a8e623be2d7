using System.Reflection;
using HierTcn.Tests.Shared;
using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestFramework("HierTcn.StateStore.Tests.Support.SkippingTestFramework", "HierTcn.StateStore.Tests")]

namespace HierTcn.StateStore.Tests.Support;

/// <summary>xunit's framework, except that the tests of a class marked <see cref="RequiresRespEngineAttribute"/> are
/// reported Skipped (never Passed) when the engine is not installed. A class-level check, because the contract tests
/// are inherited [Fact]s whose attributes cannot know the class that runs them.</summary>
public sealed class SkippingTestFramework(IMessageSink messageSink) : XunitTestFramework(messageSink)
{
    protected override ITestFrameworkDiscoverer CreateDiscoverer(IAssemblyInfo assemblyInfo)
        => new Discoverer(assemblyInfo, SourceInformationProvider, DiagnosticMessageSink);

    private sealed class Discoverer(IAssemblyInfo assemblyInfo, ISourceInformationProvider sourceProvider, IMessageSink diagnosticMessageSink)
        : XunitTestFrameworkDiscoverer(assemblyInfo, sourceProvider, diagnosticMessageSink)
    {
        protected override bool FindTestsForMethod(ITestMethod testMethod, bool includeSourceInformation, IMessageBus messageBus, ITestFrameworkDiscoveryOptions discoveryOptions)
        {
            var requirement = testMethod.TestClass.Class.ToRuntimeType()?.GetCustomAttribute<RequiresRespEngineAttribute>();
            if (requirement is null || RespTools.MissingReason(requirement.Engine) is not { } missing
                || testMethod.Method.GetCustomAttributes(typeof(FactAttribute)).FirstOrDefault() is null)
                return base.FindTestsForMethod(testMethod, includeSourceInformation, messageBus, discoveryOptions);
            var testCase = new XunitSkippedDataRowTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(),
                discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, missing);
            return ReportDiscoveredTestCase(testCase, includeSourceInformation, messageBus);
        }
    }
}
