"""trellis-cdk from Python: the same app as examples/typescript/app.ts and examples/java.

test/bindings compares the three synthesized templates.
"""
import aws_cdk as cdk
from trellis_cdk import (
    ApplicationOptions,
    DeployFramework,
    DeploymentEnvironment,
    TestCommand,
    TrellisPipeline,
)

app = cdk.App()
stack = cdk.Stack(app, "Trellis")

trellis = TrellisPipeline(
    stack,
    "Trellis",
    installation_name="example",
    applications=[
        ApplicationOptions(
            name="shop",
            repository="acme/shop",
            environments=[
                DeploymentEnvironment.development(branch="main", run_tests=True),
                DeploymentEnvironment.staging(region="eu-west-1"),
                DeploymentEnvironment.production(account="111122223333"),
            ],
        )
    ],
)

trellis.add_application(
    name="billing",
    repository="acme/billing",
    environments=[
        DeploymentEnvironment.custom(
            name="preview",
            branch="develop",
            test_command=TestCommand.command(["npx", "vitest", "run"]),
            variables={"STAGE": "preview"},
        ),
        DeploymentEnvironment.custom(
            name="qa",
            framework=DeployFramework.custom(
                deploy_command=["make", "deploy"], remove_command=["make", "remove"]
            ),
        ),
        DeploymentEnvironment.production(),
    ],
)

app.synth()
