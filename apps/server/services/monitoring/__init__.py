"""Model monitoring: drift and quality of served versions, stored, published, acted upon.

`reports` computes one version's drift and quality on demand; `checks` is the scheduled pass
that stores them; `gauges` publishes them to Prometheus; `retraining` decides on a trigger;
`overview` reads the stored checks back; `responses` shapes what the routes answer.
"""
