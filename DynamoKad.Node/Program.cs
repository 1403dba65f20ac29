using DynamoKad.Hosting;

return await NodeCommandLine.RunAsync(args);
