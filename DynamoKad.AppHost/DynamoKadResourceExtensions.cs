namespace DynamoKad.AppHost;

/// <summary>How a DynamoKad node and the dashboard become Aspire resources.</summary>
internal static class DynamoKadResourceExtensions
{
    public const string GrpcEndpoint = "grpc";
    public const string HttpEndpoint = "http";

    public static IResourceBuilder<ProjectResource> AddDynamoKadNode(
        this IDistributedApplicationBuilder builder, string name, string dataDir)
    {
        var node = builder.AddProject<Projects.DynamoKad_Node>(name, launchProfileName: null)
            .WithHttpEndpoint(name: HttpEndpoint)
            .WithHttpEndpoint(name: GrpcEndpoint)
            // h2c: the gRPC endpoint speaks HTTP/2 only.
            .WithEndpoint(GrpcEndpoint, endpoint => endpoint.Transport = "http2");

        var grpc = node.GetEndpoint(GrpcEndpoint);
        var http = node.GetEndpoint(HttpEndpoint);
        return node
            .WithEnvironment("DynamoKad__Node__Name", name)
            .WithEnvironment("DynamoKad__Node__DataDir", dataDir)
            .WithEnvironment("DynamoKad__Node__Listen", ReferenceExpression.Create($"127.0.0.1:{grpc.Property(EndpointProperty.TargetPort)}"))
            .WithEnvironment("DynamoKad__Node__Http", ReferenceExpression.Create($"127.0.0.1:{http.Property(EndpointProperty.TargetPort)}"))
            // Peers dial the endpoint's stable (proxied) address, which survives a stop/start of the node.
            .WithEnvironment("DynamoKad__Node__AdvertisedAddress", grpc)
            .WithHttpHealthCheck("/health", endpointName: HttpEndpoint);
    }

    public static IResourceBuilder<ProjectResource> WithSeeds(
        this IResourceBuilder<ProjectResource> node, IEnumerable<IResourceBuilder<ProjectResource>> seeds)
    {
        var index = 0;
        foreach (var seed in seeds)
        {
            node.WithEnvironment($"DynamoKad__Cluster__Seeds__{index++}", seed.GetEndpoint(GrpcEndpoint));
        }

        return node;
    }

    public static IResourceBuilder<ProjectResource> AddDynamoKadDashboard(
        this IDistributedApplicationBuilder builder, string name, int? port, IReadOnlyList<IResourceBuilder<ProjectResource>> nodes)
    {
        var dashboard = builder.AddProject<Projects.DynamoKad_Dashboard>(name, launchProfileName: null)
            .WithHttpEndpoint(name: HttpEndpoint, port: port)
            .WithExternalHttpEndpoints()
            .WithHttpHealthCheck("/health", endpointName: HttpEndpoint)
            .WithUrlForEndpoint(HttpEndpoint, url => url.DisplayText = "DynamoKad dashboard");

        for (var i = 0; i < nodes.Count; i++)
        {
            dashboard
                .WithEnvironment($"DynamoKad__Nodes__{i}__Name", nodes[i].Resource.Name)
                .WithEnvironment($"DynamoKad__Nodes__{i}__Address", nodes[i].GetEndpoint(GrpcEndpoint))
                .WaitFor(nodes[i]);
        }

        return dashboard;
    }
}
