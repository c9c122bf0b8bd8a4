import { PLAN_FORMAT, type Plan } from "../contracts";
import { ContractError } from "../core/errors";
import { getJson, type ObjectStore } from "../core/object-store";

export async function readPlan(work: ObjectStore, planKey: string): Promise<Plan> {
  const plan = await getJson<Plan>(work, planKey);
  if (plan.format !== PLAN_FORMAT || plan.version !== 1) {
    throw new ContractError(
      `plan ${work.name}/${planKey} has format ${JSON.stringify(plan.format)} version ${JSON.stringify(plan.version)}; this code reads ${PLAN_FORMAT} version 1: start a new execution`,
    );
  }
  return plan;
}
