namespace DynamoKad.Dashboard.Cluster;

public static class ClusterClientServiceCollectionExtensions
{
    public static IServiceCollection AddDynamoKadClusterClient(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<DashboardOptions>(configuration.GetSection(DashboardOptions.SectionName));
        services.AddSingleton<IClusterClient, GrpcClusterClient>();
        return services;
    }
}
