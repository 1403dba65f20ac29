using DynamoKad.Dashboard.Cluster;
using DynamoKad.Dashboard.Components;
using DynamoKad.Dashboard.Telemetry;
using OpenTelemetry.Trace;
using Microsoft.FluentUI.AspNetCore.Components;

var builder = WebApplication.CreateBuilder(args);

// Serve the Fluent UI package's assets (_content/...) when running from build output in any
// environment, as Aspire and `dotnet run` do; a published app has them in wwwroot and this is a no-op.
builder.WebHost.UseStaticWebAssets();

builder.AddServiceDefaults();
builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddFluentUIComponents();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddDynamoKadClusterClient(builder.Configuration);
builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddSource(DashboardTelemetry.SourceName));

var app = builder.Build();

if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/Error", createScopeForErrors: true);
}

app.UseAntiforgery();
app.MapStaticAssets();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.MapDefaultEndpoints();

app.Run();
