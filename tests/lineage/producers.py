"""Events shaped like the ones real producers send (Airflow, Spark), for ingest tests.

Modelled on the OpenLineage Airflow provider and the Spark integration: a DAG run with task
runs (parent run facets), custom facets the spec does not know (kept verbatim), column lineage,
symlinks between a storage path and a metastore table, and Java-style timestamps with
nanoseconds and an offset.
"""

from __future__ import annotations

from typing import Any

SPEC = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
FACETS = "https://openlineage.io/spec/facets"
AIRFLOW = "https://github.com/apache/airflow/tree/providers-openlineage/1.8.0"
SPARK = "https://github.com/OpenLineage/OpenLineage/tree/1.20.5/integration/spark"

DAG_RUN = "0190f1b2-3c4d-7e5f-8a9b-0c1d2e3f4a5b"
TASK_RUN = "0190f1b2-3c4d-7e5f-8a9b-0c1d2e3f4a6c"
SPARK_APP_RUN = "0190f1b3-0000-7000-8000-00000000aa01"
SPARK_RUN = "0190f1b3-0000-7000-8000-00000000aa02"


def _facet(producer: str, schema: str, **fields: Any) -> dict[str, Any]:
    return {"_producer": producer, "_schemaURL": schema, **fields}


def _schema(producer: str, *columns: tuple[str, str]) -> dict[str, Any]:
    return _facet(
        producer,
        f"{FACETS}/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
        fields=[{"name": name, "type": kind} for name, kind in columns],
    )


def airflow_task(event_type: str, time: str) -> dict[str, Any]:
    """A task of DAG ``etl_users``: reads a Postgres table, writes a warehouse table."""
    return {
        "eventType": event_type,
        "eventTime": time,
        "producer": AIRFLOW,
        "schemaURL": SPEC,
        "run": {
            "runId": TASK_RUN,
            "facets": {
                "parent": _facet(
                    AIRFLOW,
                    f"{FACETS}/1-1-0/ParentRunFacet.json#/$defs/ParentRunFacet",
                    run={"runId": DAG_RUN},
                    job={"namespace": "airflow", "name": "etl_users"},
                    root={
                        "run": {"runId": DAG_RUN},
                        "job": {"namespace": "airflow", "name": "etl_users"},
                    },
                ),
                "nominalTime": _facet(
                    AIRFLOW,
                    f"{FACETS}/1-0-1/NominalTimeRunFacet.json#/$defs/NominalTimeRunFacet",
                    nominalStartTime="2024-05-01T00:00:00+00:00",
                ),
                "airflow": _facet(
                    AIRFLOW,
                    "https://raw.githubusercontent.com/apache/airflow/providers-openlineage/"
                    "1.8.0/airflow/providers/openlineage/facets/AirflowRunFacet.json",
                    dag={"dag_id": "etl_users", "schedule_interval": "@daily"},
                    task={"task_id": "load_users", "operator_class": "SQLExecuteQueryOperator"},
                    taskInstance={"try_number": 1, "pool": "default_pool"},
                ),
            },
        },
        "job": {
            "namespace": "airflow",
            "name": "etl_users.load_users",
            "facets": {
                "jobType": _facet(
                    AIRFLOW,
                    f"{FACETS}/2-0-3/JobTypeJobFacet.json#/$defs/JobTypeJobFacet",
                    processingType="BATCH",
                    integration="AIRFLOW",
                    jobType="TASK",
                ),
                "sql": _facet(
                    AIRFLOW,
                    f"{FACETS}/1-1-0/SQLJobFacet.json#/$defs/SQLJobFacet",
                    query="INSERT INTO analytics.users SELECT id, email FROM public.users",
                ),
            },
        },
        "inputs": [
            {
                "namespace": "postgres://db.internal:5432",
                "name": "app.public.users",
                "facets": {"schema": _schema(AIRFLOW, ("id", "integer"), ("email", "text"))},
            }
        ],
        "outputs": [
            {
                "namespace": "postgres://db.internal:5432",
                "name": "app.analytics.users",
                "facets": {
                    "schema": _schema(AIRFLOW, ("id", "integer"), ("email", "text")),
                    "columnLineage": _facet(
                        AIRFLOW,
                        f"{FACETS}/1-2-0/ColumnLineageDatasetFacet.json"
                        "#/$defs/ColumnLineageDatasetFacet",
                        fields={
                            "email": {
                                "inputFields": [
                                    {
                                        "namespace": "postgres://db.internal:5432",
                                        "name": "app.public.users",
                                        "field": "email",
                                        "transformations": [
                                            {"type": "DIRECT", "subtype": "IDENTITY"}
                                        ],
                                    }
                                ]
                            }
                        },
                    ),
                },
            }
        ],
    }


def spark_job(event_type: str, time: str) -> dict[str, Any]:
    """A Spark action reading the warehouse table through S3, writing features to S3."""
    return {
        "eventType": event_type,
        "eventTime": time,
        "producer": SPARK,
        "schemaURL": SPEC,
        "run": {
            "runId": SPARK_RUN,
            "facets": {
                "parent": _facet(
                    SPARK,
                    f"{FACETS}/1-1-0/ParentRunFacet.json#/$defs/ParentRunFacet",
                    run={"runId": SPARK_APP_RUN},
                    job={"namespace": "spark", "name": "features_app"},
                ),
                "processing_engine": _facet(
                    SPARK,
                    f"{FACETS}/1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet",
                    version="3.5.1",
                    name="spark",
                    openlineageAdapterVersion="1.20.5",
                ),
                "spark_properties": _facet(
                    SPARK,
                    f"{SPARK}/spec/facets/SparkPropertiesFacet.json",
                    properties={"spark.master": "yarn", "spark.app.name": "features_app"},
                ),
            },
        },
        "job": {
            "namespace": "spark",
            "name": "features_app.execute_insert_into_hadoop_fs_relation_command.features",
            "facets": {},
        },
        "inputs": [
            {
                "namespace": "s3://lake",
                "name": "warehouse/analytics/users",
                "facets": {
                    "schema": _schema(SPARK, ("id", "long"), ("email", "string")),
                    "symlinks": _facet(
                        SPARK,
                        f"{FACETS}/1-0-1/SymlinksDatasetFacet.json#/$defs/SymlinksDatasetFacet",
                        identifiers=[
                            {
                                "namespace": "postgres://db.internal:5432",
                                "name": "app.analytics.users",
                                "type": "TABLE",
                            }
                        ],
                    ),
                },
            }
        ],
        "outputs": [
            {
                "namespace": "s3://lake",
                "name": "features/users",
                "facets": {"schema": _schema(SPARK, ("id", "long"), ("domain", "string"))},
                "outputFacets": {
                    "outputStatistics": _facet(
                        SPARK,
                        f"{FACETS}/1-0-2/OutputStatisticsOutputDatasetFacet.json"
                        "#/$defs/OutputStatisticsOutputDatasetFacet",
                        rowCount=1200,
                        size=48000,
                    )
                },
            }
        ],
    }


def pipeline() -> list[dict[str, Any]]:
    """Airflow's task run, then the Spark run, START and COMPLETE each."""
    return [
        airflow_task("START", "2024-05-01T00:05:00.123456+00:00"),
        airflow_task("COMPLETE", "2024-05-01T00:06:10.654321+00:00"),
        spark_job("START", "2024-05-01T02:00:00.123456789+02:00"),
        spark_job("COMPLETE", "2024-05-01T02:04:00.987654321+02:00"),
    ]
