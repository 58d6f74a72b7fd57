# docker build -t agentos:0.1.0 .
# Builds the jar inside the image build (no JDK or Maven needed on the host) and runs it as a non-root user.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
# dependencies in their own layer (best effort: whatever it misses, the package step fetches)
RUN mvn -B -q dependency:go-offline || true
COPY src ./src
COPY conf ./conf
RUN mvn -B -q -DskipTests package

FROM eclipse-temurin:17-jre
WORKDIR /opt/agentos
# the jar alone: target/embedded-postgres/ (dev mode's embedded server) stays out of the image
COPY --from=build /src/target/agentos.jar /opt/agentos/agentos.jar
COPY conf /opt/agentos/conf
# numeric uid/gid, so Kubernetes' runAsNonRoot can verify it without an /etc/passwd entry
USER 10001:10001
# HTTP, cluster membership (JGroups), event bus: http.port, cluster.port, cluster.event_bus_port
EXPOSE 7777 5701 5801
# conf/container.yaml: every interface, dev mode off, key and database from the environment (its header says how)
ENV AGENTOS_CONFIG=/opt/agentos/conf/container.yaml
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-jar", "/opt/agentos/agentos.jar"]
