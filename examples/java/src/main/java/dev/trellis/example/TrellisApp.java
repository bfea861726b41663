package dev.trellis.example;

import java.util.List;
import java.util.Map;

import dev.trellis.cdk.ApplicationOptions;
import dev.trellis.cdk.CustomEnvironmentOptions;
import dev.trellis.cdk.CustomFrameworkCommands;
import dev.trellis.cdk.DeployFramework;
import dev.trellis.cdk.Environment;
import dev.trellis.cdk.EnvironmentOptions;
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
                                Environment.development(EnvironmentOptions.builder().branch("main").runTests(true).build()),
                                Environment.staging(EnvironmentOptions.builder().region("eu-west-1").build()),
                                Environment.production(EnvironmentOptions.builder().account("111122223333").build())))
                        .build()))
                .build());

        trellis.addApplication(ApplicationOptions.builder()
                .name("billing")
                .repository("acme/billing")
                .environments(List.of(
                        Environment.custom(CustomEnvironmentOptions.builder()
                                .name("preview")
                                .branch("develop")
                                .testCommand(TestCommand.command(List.of("npx", "vitest", "run")))
                                .variables(Map.of("STAGE", "preview"))
                                .build()),
                        Environment.custom(CustomEnvironmentOptions.builder()
                                .name("qa")
                                .framework(DeployFramework.custom(CustomFrameworkCommands.builder()
                                        .deployCommand(List.of("make", "deploy"))
                                        .removeCommand(List.of("make", "remove"))
                                        .build()))
                                .build()),
                        Environment.production()))
                .build());

        app.synth();
    }
}
