package dev.trellis.example;

import java.util.List;
import java.util.Map;

import dev.trellis.cdk.ApplicationOptions;
import dev.trellis.cdk.CustomDeploymentEnvironmentOptions;
import dev.trellis.cdk.CustomFrameworkCommands;
import dev.trellis.cdk.DeployFramework;
import dev.trellis.cdk.DeploymentEnvironment;
import dev.trellis.cdk.DeploymentEnvironmentOptions;
import dev.trellis.cdk.TestCommand;
import dev.trellis.cdk.TrellisPipeline;
import dev.trellis.cdk.TrellisPipelineProps;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Stack;

/** trellis-cdk from Java: the same app as examples/typescript/app.ts and examples/python/app.py. */
public final class TrellisApp {
    public static void main(final String[] args) {
        App app = new App();
        Stack stack = new Stack(app, "Trellis");

        TrellisPipeline trellis = new TrellisPipeline(stack, "Trellis", TrellisPipelineProps.builder()
                .installationName("example")
                .applications(List.of(ApplicationOptions.builder()
                        .name("shop")
                        .repository("acme/shop")
                        .environments(List.of(
                                DeploymentEnvironment.development(DeploymentEnvironmentOptions.builder().branch("main").runTests(true).build()),
                                DeploymentEnvironment.staging(DeploymentEnvironmentOptions.builder().region("eu-west-1").build()),
                                DeploymentEnvironment.production(DeploymentEnvironmentOptions.builder().account("111122223333").build())))
                        .build()))
                .build());

        trellis.addApplication(ApplicationOptions.builder()
                .name("billing")
                .repository("acme/billing")
                .environments(List.of(
                        DeploymentEnvironment.custom(CustomDeploymentEnvironmentOptions.builder()
                                .name("preview")
                                .branch("develop")
                                .testCommand(TestCommand.command(List.of("npx", "vitest", "run")))
                                .variables(Map.of("STAGE", "preview"))
                                .build()),
                        DeploymentEnvironment.custom(CustomDeploymentEnvironmentOptions.builder()
                                .name("qa")
                                .framework(DeployFramework.custom(CustomFrameworkCommands.builder()
                                        .deployCommand(List.of("make", "deploy"))
                                        .removeCommand(List.of("make", "remove"))
                                        .build()))
                                .build()),
                        DeploymentEnvironment.production()))
                .build());

        app.synth();
    }
}
